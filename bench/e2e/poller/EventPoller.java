// The benchmark's stand-in for Lambda's event poller: Kafka's own Java consumer (kafka-clients of the
// distribution the project fetches; java-event-poller.ts compiles this folder with javac at each start)
// doing what local/esm/emulator.ts does, at a JVM's cost per record. In AWS the
// poller is Lambda's and not on the function's CPU; the kafkajs emulator that `npm start` runs spent
// 8 ms of this machine's CPU per 1,000 records, more than the rest of the consumer together, so the
// end-to-end rate measured the stand-in. Same rules as the emulator (docs/ESM-EMULATOR.md): per
// partition, records gathered until the batch size, the batching window or 6 MB; the MSK event of
// lambda/domain/kafka-record.ts's encodeMskEvent (test/integration/event-poller.test.ts compares them);
// one invocation at a time per partition; offsets committed only after the function answered; the same
// batch retried with backoff while it fails. The invocations go straight to the execution environments'
// Runtime Interface Emulators, partition p to environment p mod n.
//
// Arguments: <bootstrap servers> <topic> <group> <event source ARN> <batch size> <window ms> <max bytes>
// <invoke URL>[,<invoke URL>...]. Protocol: stdin "stop" (or its end) drains, commits and exits; stdout
// JSON lines {"type":"ready"}, {"type":"retry","partition":..,"fromOffset":..,"attempt":..,"error":".."},
// {"type":"stopped","invocations":..,"recordsCommitted":..,"retries":..,"rebalances":..,"functionErrors":..,
// "functionTimeouts":..},
// {"type":"error","message":".."} (then exit code 1).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class EventPoller {
  private static final long RETRY_FIRST_MS = 500;
  // What the emulator answers for an invocation past the function's timeout.
  private static final String TIMED_OUT = "Task timed out after";
  private static final long RETRY_MAX_MS = 15_000;
  // The function's timeout (contracts/functions.ts) and a margin: the emulator answers by then.
  private static final Duration INVOKE_TIMEOUT = Duration.ofSeconds(90);

  private final String topic;
  private final int batchSize;
  private final long windowMs;
  private final long maxBytes;
  private final MskEventWriter writer;
  private final List<URI> environments;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final Map<Integer, Lane> lanes = new ConcurrentHashMap<>();
  // The consumer is not thread-safe: lanes hand commits and resumes to the polling thread.
  private final ConcurrentLinkedQueue<Map.Entry<TopicPartition, Long>> commits = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<TopicPartition> resumes = new ConcurrentLinkedQueue<>();
  private final AtomicLong invocations = new AtomicLong();
  private final AtomicLong recordsCommitted = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong rebalances = new AtomicLong();
  private final AtomicLong functionErrors = new AtomicLong();
  private final AtomicLong functionTimeouts = new AtomicLong();
  private volatile boolean running = true;

  private EventPoller(String[] args) {
    topic = args[1];
    batchSize = Integer.parseInt(args[4]);
    windowMs = Long.parseLong(args[5]);
    maxBytes = Long.parseLong(args[6]);
    environments = Arrays.stream(args[7].split(",")).map(URI::create).toList();
    writer = new MskEventWriter(args[3], args[0]);
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 8) {
      fail("usage: EventPoller <bootstrap servers> <topic> <group> <event source ARN> <batch size> <window ms> <max bytes> <invoke URLs>");
    }
    try {
      new EventPoller(args).run(args[0], args[2]);
    } catch (Throwable error) {
      fail(String.valueOf(error));
    }
  }

  private void run(String bootstrapServers, String group) throws Exception {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "event-poller");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // TRIM_HORIZON, as the local mapping starts.
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Up to 6 MB per partition per fetch, as the emulator: one fetch can fill one invocation.
    config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Long.toString(maxBytes));
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(batchSize));
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "3000");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

    Thread stdin = new Thread(() -> {
      try (BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        for (String line = commands.readLine(); line != null && !line.trim().equals("stop"); line = commands.readLine()) {
          // Only "stop" is understood; anything else waits for it.
        }
      } catch (Exception ignored) {
        // A closed stdin is a stop too.
      }
      running = false;
    }, "stdin");
    stdin.setDaemon(true);
    stdin.start();

    List<Thread> laneThreads = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          // What was invoked is committed before the partitions go; the new owner refetches from there.
          // What the lanes hold is dropped, and an invocation in flight is not committed (its generation
          // is past).
          try {
            commitAndResume(consumer, true);
          } catch (RuntimeException error) {
            System.err.println("event poller: the commit before a rebalance failed: " + error);
          }
          for (TopicPartition partition : partitions) {
            Lane lane = lanes.get(partition.partition());
            if (lane != null) lane.reset();
          }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          rebalances.incrementAndGet();
          for (TopicPartition partition : partitions) {
            lanes.computeIfAbsent(partition.partition(), p -> {
              Lane lane = new Lane(new TopicPartition(topic, p), environments.get(p % environments.size()));
              Thread thread = new Thread(lane::run, "lane-" + p);
              laneThreads.add(thread);
              thread.start();
              return lane;
            });
          }
        }
      });
      System.out.println("{\"type\":\"ready\"}");
      System.out.flush();
      while (running) {
        commitAndResume(consumer, false);
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        long now = System.currentTimeMillis();
        for (TopicPartition partition : records.partitions()) {
          Lane lane = lanes.get(partition.partition());
          if (lane == null) continue;
          if (lane.push(records.records(partition), now)) consumer.pause(List.of(partition));
        }
      }
      for (Lane lane : lanes.values()) lane.stop();
      for (Thread thread : laneThreads) thread.join();
      commitAndResume(consumer, true);
    }
    System.out.println("{\"type\":\"stopped\",\"invocations\":" + invocations.get() + ",\"recordsCommitted\":"
        + recordsCommitted.get() + ",\"retries\":" + retries.get() + ",\"rebalances\":" + rebalances.get() + ",\"functionErrors\":"
        + functionErrors.get() + ",\"functionTimeouts\":" + functionTimeouts.get() + "}");
    System.out.flush();
  }

  private void commitAndResume(KafkaConsumer<byte[], byte[]> consumer, boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Map.Entry<TopicPartition, Long> commit = commits.poll(); commit != null; commit = commits.poll()) {
      offsets.merge(commit.getKey(), new OffsetAndMetadata(commit.getValue()),
          (a, b) -> a.offset() >= b.offset() ? a : b);
    }
    if (!offsets.isEmpty()) {
      if (sync) consumer.commitSync(offsets);
      else consumer.commitAsync(offsets, (committed, error) -> {
        // Kafka does not retry a failed asynchronous commit (a coordinator moving, a timeout): the
        // offsets go back in the queue, for the next poll or the final commit, unless the partition
        // is gone (its new owner reads from what was committed, and redelivery is harmless).
        if (error == null) return;
        System.err.println("event poller: a commit failed and is retried: " + error);
        for (Map.Entry<TopicPartition, OffsetAndMetadata> entry : committed.entrySet()) {
          if (lanes.containsKey(entry.getKey().partition())) commits.add(Map.entry(entry.getKey(), entry.getValue().offset()));
        }
      });
    }
    for (TopicPartition partition = resumes.poll(); partition != null; partition = resumes.poll()) {
      if (consumer.assignment().contains(partition)) consumer.resume(List.of(partition));
    }
  }

  /** The records of one partition between the fetch and their invocation, and the thread that invokes them. */
  private final class Lane {
    private final TopicPartition partition;
    private final URI environment;
    private final ArrayDeque<ConsumerRecord<byte[], byte[]>> records = new ArrayDeque<>();
    private long bytes;
    private long oldestAt = -1;
    private long nextOffset = -1;
    private long generation;
    private boolean paused;
    private boolean stopped;

    Lane(TopicPartition partition, URI environment) {
      this.partition = partition;
      this.environment = environment;
    }

    /** Adds fetched records; true when the lane holds two invocations' worth and its partition should pause. */
    synchronized boolean push(List<ConsumerRecord<byte[], byte[]>> fetched, long now) {
      for (ConsumerRecord<byte[], byte[]> record : fetched) {
        if (nextOffset >= 0 && record.offset() < nextOffset) continue;
        records.add(record);
        bytes += MskEventWriter.eventBytes(record);
        nextOffset = record.offset() + 1;
        if (oldestAt < 0) oldestAt = now;
      }
      notifyAll();
      paused = records.size() >= 2 * batchSize || bytes >= 2 * maxBytes;
      return paused;
    }

    synchronized void reset() {
      records.clear();
      bytes = 0;
      oldestAt = -1;
      nextOffset = -1;
      generation++;
      notifyAll();
    }

    synchronized void stop() {
      stopped = true;
      notifyAll();
    }

    void run() {
      try {
        for (;;) {
          List<ConsumerRecord<byte[], byte[]>> batch;
          long batchGeneration;
          synchronized (this) {
            long due = dueIn(System.currentTimeMillis());
            while (!stopped && due != 0) {
              wait(due < 0 ? 0 : due);
              due = dueIn(System.currentTimeMillis());
            }
            if (stopped) return;
            batch = peekBatch();
            batchGeneration = generation;
          }
          if (!invokeUntilDone(batch, batchGeneration)) continue;
          synchronized (this) {
            if (batchGeneration != generation) continue;
            for (int i = 0; i < batch.size(); i++) bytes -= MskEventWriter.eventBytes(records.poll());
            oldestAt = records.isEmpty() ? -1 : System.currentTimeMillis();
            if (paused && records.size() < batchSize) {
              paused = false;
              resumes.add(partition);
            }
          }
        }
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      } catch (Throwable error) {
        // A lane that died would stop its partition silently: the whole poller ends instead, and the
        // worker that started it sees it exit.
        fail("partition " + partition.partition() + ": " + error);
      }
    }

    /** Milliseconds until a batch is due: 0 now, -1 when the lane is empty. */
    private long dueIn(long now) {
      if (oldestAt < 0) return -1;
      if (records.size() >= batchSize || bytes >= maxBytes) return 0;
      return Math.max(0, oldestAt + windowMs - now);
    }

    private List<ConsumerRecord<byte[], byte[]>> peekBatch() {
      List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(Math.min(records.size(), batchSize));
      long size = 0;
      for (ConsumerRecord<byte[], byte[]> record : records) {
        if (batch.size() >= batchSize) break;
        long recordBytes = MskEventWriter.eventBytes(record);
        if (!batch.isEmpty() && size + recordBytes > maxBytes) break;
        batch.add(record);
        size += recordBytes;
      }
      return batch;
    }

    /** Invokes until the function answers, then hands the commit over. False when a rebalance or stop took the batch. */
    private boolean invokeUntilDone(List<ConsumerRecord<byte[], byte[]>> batch, long batchGeneration)
        throws InterruptedException {
      byte[] event = writer.encode(partition, batch);
      long firstOffset = batch.get(0).offset();
      long delay = RETRY_FIRST_MS;
      for (int attempt = 1; ; attempt++) {
        invocations.incrementAndGet();
        String failure = invoke(event);
        synchronized (this) {
          if (batchGeneration != generation) return false;
        }
        if (failure == null) {
          commits.add(Map.entry(partition, batch.get(batch.size() - 1).offset() + 1));
          recordsCommitted.addAndGet(batch.size());
          return true;
        }
        retries.incrementAndGet();
        (failure.startsWith(TIMED_OUT) ? functionTimeouts : functionErrors).incrementAndGet();
        line("{\"type\":\"retry\",\"partition\":" + partition.partition() + ",\"fromOffset\":\"" + firstOffset
            + "\",\"attempt\":" + attempt + ",\"error\":" + MskEventWriter.json(failure) + "}");
        Thread.sleep(delay);
        delay = Math.min(RETRY_MAX_MS, delay * 2);
        synchronized (this) {
          if (stopped || batchGeneration != generation) return false;
        }
      }
    }

    /** Null when the function returned, else what failed (as execution-environment.ts tells them apart). */
    private String invoke(byte[] event) {
      // An environment runs one invocation at a time: lanes that share one (more partitions than
      // environments) take turns on its URI, the one instance of it they hold.
      synchronized (environment) {
        return invokeAlone(event);
      }
    }

    private String invokeAlone(byte[] event) {
      try {
        HttpResponse<String> response = http.send(
            HttpRequest.newBuilder(environment).timeout(INVOKE_TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(event)).build(),
            HttpResponse.BodyHandlers.ofString());
        String body = response.body();
        if (body.startsWith(TIMED_OUT)) return body;
        if (response.statusCode() != 200) return "HTTP " + response.statusCode() + ": " + body;
        if (body.startsWith("{\"errorType\"") || body.contains("\"errorType\":")) return body;
        return null;
      } catch (Exception error) {
        if (error instanceof InterruptedException) Thread.currentThread().interrupt();
        return String.valueOf(error);
      }
    }
  }

  private static synchronized void line(String json) {
    System.out.println(json);
    System.out.flush();
  }

  private static void fail(String message) {
    line("{\"type\":\"error\",\"message\":" + MskEventWriter.json(message) + "}");
    System.exit(1);
  }
}
