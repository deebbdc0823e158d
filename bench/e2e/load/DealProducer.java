// The benchmark's load generator: Kafka's own Java producer (kafka-clients of the distribution the
// project fetches, run as a single-file program: java -cp '<kafka lib>/*' DealProducer.java ...),
// sending the producer's deals that bench/e2e/load/java-producer-fleet.ts wrote to a file, in their
// order, cycling through them. One process serves both systems, so neither is measured against a
// slower generator than the other.
//
// Protocol, one line each way: stdin "produce <id> <records> <records per second, 0 for flat out>";
// stdout JSON lines {"type":"ready"}, {"type":"produced","id":..,"sent":..,"startedAt":..,"endedAt":..},
// {"type":"error","message":".."}. A run ends after flush() with every record acknowledged, or with an
// error line and exit code 1: the harness's ground truth counts the first `sent` records of the cycle.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class DealProducer {
  // How often the due records are sent: finer than kafkajs' 100 ms requests, so that the offered rate
  // is smooth; the client batches them per partition (linger.ms) whatever the tick.
  private static final long TICK_MS = 5;

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      fail("usage: DealProducer <bootstrap servers> <topic> <records file> <client id>");
    }
    String topic = args[1];
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(args[2]), StandardCharsets.UTF_8)) {
      int tab = line.indexOf('\t');
      if (tab < 0) fail("a line of the records file has no tab");
      keys.add(line.substring(0, tab).getBytes(StandardCharsets.UTF_8));
      values.add(line.substring(tab + 1).getBytes(StandardCharsets.UTF_8));
    }
    if (keys.isEmpty()) fail("the records file is empty");

    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, args[3]);
    // As lambda/producer: idempotent (acks=all), gzip, keyed by branch|currency (murmur2, as kafkajs).
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip");
    // Level 1: the same gzip for the consumers to inflate, at a fraction of the producer's CPU.
    config.put("compression.gzip.level", "1");
    config.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
    config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L * 1024 * 1024));
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

    AtomicReference<Exception> failure = new AtomicReference<>();
    long cursor = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
      producer.partitionsFor(topic);
      System.out.println("{\"type\":\"ready\"}");
      System.out.flush();
      BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = commands.readLine(); line != null; line = commands.readLine()) {
        String[] words = line.trim().split("\\s+");
        if (words.length != 4 || !words[0].equals("produce")) fail("unknown command: " + line);
        long id = Long.parseLong(words[1]);
        long records = Long.parseLong(words[2]);
        double rate = Double.parseDouble(words[3]);
        long startedAt = System.currentTimeMillis();
        long sent = 0;
        while (sent < records) {
          long due = rate <= 0
              ? records
              : Math.min(records, (long) ((System.currentTimeMillis() - startedAt) * rate / 1000));
          if (due <= sent) {
            Thread.sleep(TICK_MS);
            continue;
          }
          for (; sent < due; sent++, cursor++) {
            int index = (int) (cursor % keys.size());
            // No timestamp: the client stamps CreateTime at send, from which latency is measured.
            producer.send(new ProducerRecord<>(topic, keys.get(index), values.get(index)), (metadata, error) -> {
              if (error != null) failure.compareAndSet(null, error);
            });
          }
          if (failure.get() != null) break;
        }
        producer.flush();
        if (failure.get() != null) fail("a send failed: " + failure.get());
        System.out.println("{\"type\":\"produced\",\"id\":" + id + ",\"sent\":" + sent + ",\"startedAt\":"
            + startedAt + ",\"endedAt\":" + System.currentTimeMillis() + "}");
        System.out.flush();
      }
    }
  }

  private static void fail(String message) {
    System.out.println("{\"type\":\"error\",\"message\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"}");
    System.out.flush();
    System.exit(1);
  }
}
