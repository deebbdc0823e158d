// The benchmark's stand-in for Lambda's event poller: Kafka's own Java consumer (kafka-clients of the
// distribution the project fetches, run as a single-file program: java -cp '<kafka lib>/*'
// EventPoller.java ...) doing what local/esm/emulator.ts does, at a JVM's cost per record. In AWS the
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
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class EventPoller {
  // Per record, the MSK event spends about this much on the JSON around key and value (as partition-lane.ts).
  private static final int RECORD_ENVELOPE_BYTES = 160;
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
  private final byte[] eventHead;
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
    eventHead = ("{\"eventSource\":\"aws:kafka\",\"eventSourceArn\":" + json(args[3])
        + ",\"bootstrapServers\":" + json(args[0]) + ",\"records\":{").getBytes(StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 8) {
      fail("usage: EventPoller <bootstrap servers> <topic> <group> <event source ARN> <batch size> <window ms> <max bytes> <invoke URLs>");
    }
    try {
      new EventPoller(args).run(args[0], args[2]);
    } catch (Exception error) {
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
          // The new owner refetches from the committed offset; what the lanes hold is dropped, and an
          // invocation in flight is not committed (its generation is past).
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
        if (error != null) line("{\"type\":\"retry\",\"partition\":-1,\"fromOffset\":\"-1\",\"attempt\":0,\"error\":"
            + json("commit: " + error) + "}");
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
        bytes += eventBytes(record);
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
            for (int i = 0; i < batch.size(); i++) bytes -= eventBytes(records.poll());
            oldestAt = records.isEmpty() ? -1 : System.currentTimeMillis();
            if (paused && records.size() < batchSize) {
              paused = false;
              resumes.add(partition);
            }
          }
        }
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
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
        long recordBytes = eventBytes(record);
        if (!batch.isEmpty() && size + recordBytes > maxBytes) break;
        batch.add(record);
        size += recordBytes;
      }
      return batch;
    }

    /** Invokes until the function answers, then hands the commit over. False when a rebalance or stop took the batch. */
    private boolean invokeUntilDone(List<ConsumerRecord<byte[], byte[]>> batch, long batchGeneration)
        throws InterruptedException {
      byte[] event = encodeEvent(partition, batch);
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
            + "\",\"attempt\":" + attempt + ",\"error\":" + json(failure) + "}");
        Thread.sleep(delay);
        delay = Math.min(RETRY_MAX_MS, delay * 2);
        synchronized (this) {
          if (stopped || batchGeneration != generation) return false;
        }
      }
    }

    /** Null when the function returned, else what failed (as execution-environment.ts tells them apart). */
    private String invoke(byte[] event) {
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

  private static final byte[] TIMESTAMP_FIELD = ascii(",\"timestamp\":");
  private static final byte[] TYPE_AND_HEADERS_FIELDS = ascii(",\"timestampType\":\"CREATE_TIME\",\"headers\":[");
  private static final byte[] KEY_FIELD = ascii(",\"key\":\"");
  private static final byte[] VALUE_FIELD = ascii(",\"value\":\"");
  private static final byte[] QUOTE = ascii("\"");
  private static final byte[] CLOSE = ascii("}");
  private static final byte[] ZERO = ascii("0");

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static final byte[] BASE64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(StandardCharsets.US_ASCII);

  private static long eventBytes(ConsumerRecord<byte[], byte[]> record) {
    return base64Length(record.key()) + base64Length(record.value()) + RECORD_ENVELOPE_BYTES;
  }

  private static long base64Length(byte[] bytes) {
    return bytes == null ? 0 : (bytes.length + 2) / 3 * 4L;
  }

  /** The MSK event as encodeMskEvent writes it, key for key, in its order. */
  private byte[] encodeEvent(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> batch) {
    Bytes out = new Bytes(eventHead.length + 64 + (int) Math.min(Integer.MAX_VALUE / 2, 64L * batch.size()
        + batch.stream().mapToLong(EventPoller::eventBytes).sum()));
    out.write(eventHead);
    String group = json(partition.topic() + "-" + partition.partition());
    out.ascii(group).ascii(":[");
    byte[] topicField = ("{\"topic\":" + json(partition.topic()) + ",\"partition\":" + partition.partition()
        + ",\"offset\":").getBytes(StandardCharsets.UTF_8);
    boolean first = true;
    for (ConsumerRecord<byte[], byte[]> record : batch) {
      if (!first) out.ascii(",");
      first = false;
      out.write(topicField).number(record.offset()).write(TIMESTAMP_FIELD).number(record.timestamp())
          .write(TYPE_AND_HEADERS_FIELDS);
      boolean firstHeader = true;
      for (Header header : record.headers()) {
        if (header.value() == null) continue;
        if (!firstHeader) out.ascii(",");
        firstHeader = false;
        out.ascii("{").ascii(json(header.key())).ascii(":[");
        byte[] value = header.value();
        for (int i = 0; i < value.length; i++) {
          if (i > 0) out.ascii(",");
          out.number(value[i] & 0xff);
        }
        out.ascii("]}");
      }
      out.ascii("]");
      if (record.key() != null) out.write(KEY_FIELD).base64(record.key()).write(QUOTE);
      if (record.value() != null) out.write(VALUE_FIELD).base64(record.value()).write(QUOTE);
      out.write(CLOSE);
    }
    out.ascii("]}}");
    return out.toArray();
  }

  /** A growing byte buffer: the event is ASCII but for the JSON strings, which json() escapes. */
  private static final class Bytes {
    private byte[] buffer;
    private int length;

    Bytes(int capacity) {
      buffer = new byte[Math.max(capacity, 1024)];
    }

    private void ensure(int more) {
      if (length + more > buffer.length) buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
    }

    Bytes write(byte[] bytes) {
      ensure(bytes.length);
      System.arraycopy(bytes, 0, buffer, length, bytes.length);
      length += bytes.length;
      return this;
    }

    Bytes ascii(String text) {
      return write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A long in decimal, as JSON writes an integer. */
    Bytes number(long value) {
      if (value == 0) return write(ZERO);
      ensure(20);
      if (value < 0) {
        buffer[length++] = '-';
        value = -value;
      }
      int end = length;
      for (long rest = value; rest > 0; rest /= 10) end++;
      for (int at = end - 1; value > 0; value /= 10) buffer[at--] = (byte) ('0' + value % 10);
      length = end;
      return this;
    }

    /** Standard base64 with padding, as Buffer#toString('base64'), written in place. */
    Bytes base64(byte[] bytes) {
      ensure((int) base64Length(bytes));
      int i = 0;
      for (; i + 2 < bytes.length; i += 3) {
        int triple = (bytes[i] & 0xff) << 16 | (bytes[i + 1] & 0xff) << 8 | (bytes[i + 2] & 0xff);
        buffer[length++] = BASE64[triple >>> 18];
        buffer[length++] = BASE64[(triple >>> 12) & 63];
        buffer[length++] = BASE64[(triple >>> 6) & 63];
        buffer[length++] = BASE64[triple & 63];
      }
      int rest = bytes.length - i;
      if (rest > 0) {
        int triple = (bytes[i] & 0xff) << 16 | (rest == 2 ? (bytes[i + 1] & 0xff) << 8 : 0);
        buffer[length++] = BASE64[triple >>> 18];
        buffer[length++] = BASE64[(triple >>> 12) & 63];
        buffer[length++] = rest == 2 ? BASE64[(triple >>> 6) & 63] : (byte) '=';
        buffer[length++] = '=';
      }
      return this;
    }

    byte[] toArray() {
      return Arrays.copyOf(buffer, length);
    }
  }

  /** A JSON string literal. */
  private static String json(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }

  private static synchronized void line(String json) {
    System.out.println(json);
    System.out.flush();
  }

  private static void fail(String message) {
    line("{\"type\":\"error\",\"message\":" + json(message) + "}");
    System.exit(1);
  }
}
