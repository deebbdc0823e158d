package treasury.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The tutorial's design, as the benchmark's peer: Spark Structured Streaming in local mode reads the
 * topic, parses the JSON deals, and every trigger (2 s, as the tutorial) sums amount per branch ×
 * currency and appends the batch's rows to PostgreSQL over JDBC in foreachBatch.
 *
 * <p>For the benchmark each batch also records, like the aggregator's applied_batch, when it was
 * written and a histogram of its records' Kafka timestamps (5 ms buckets), so that produce-to-commit
 * latency is computed the same way for both systems. The histogram comes out of the same Spark job as
 * the sums (one more grouping key, the timestamp's 5 ms bucket), so measuring costs Spark one pass over
 * the batch, as the tutorial's own aggregation does.
 *
 * <p>Configuration comes from the environment (the password is not put on a command line). The job
 * prints one JSON line per event on stdout and stops when its stdin closes.
 */
public final class SparkPeer {
  private static final long BUCKET_MS = 5;

  private SparkPeer() {}

  public static void main(String[] args) throws Exception {
    String brokers = requiredEnv("KAFKA_BROKERS");
    String topic = requiredEnv("TOPIC");
    String jdbcUrl = requiredEnv("JDBC_URL");
    String jdbcUser = requiredEnv("JDBC_USER");
    String jdbcPassword = requiredEnv("JDBC_PASSWORD");
    String checkpointDir = requiredEnv("CHECKPOINT_DIR");
    long triggerMs = Long.parseLong(envOr("TRIGGER_MS", "2000"));
    int cores = Integer.parseInt(envOr("SPARK_CORES", String.valueOf(Runtime.getRuntime().availableProcessors())));

    SparkSession spark =
        SparkSession.builder()
            .appName("treasury-stream-spark-peer")
            .master("local[" + cores + "]")
            // The default of 200 shuffle partitions would run 200 tasks per 2 s batch on 2 cores: one
            // per core is what anyone running Spark locally sets.
            .config("spark.sql.shuffle.partitions", String.valueOf(cores))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.streaming.metricsEnabled", "false")
            .getOrCreate();

    StructType schema =
        new StructType()
            .add("branch", DataTypes.StringType)
            .add("currency", DataTypes.StringType)
            // Money is summed in decimal, never in binary floating point.
            .add("amount", DataTypes.createDecimalType(18, 2));

    Dataset<Row> deals =
        spark
            .readStream()
            .format("kafka")
            .option("kafka.bootstrap.servers", brokers)
            .option("subscribe", topic)
            .option("startingOffsets", "earliest")
            .load()
            .select(
                from_json(col("value").cast("string"), schema).as("deal"),
                expr("unix_millis(timestamp)").as("record_time"))
            .select(col("deal.branch"), col("deal.currency"), col("deal.amount"), col("record_time"));

    BatchWriter writer = new BatchWriter(jdbcUrl, jdbcUser, jdbcPassword);
    StreamingQuery query =
        deals
            .writeStream()
            .trigger(Trigger.ProcessingTime(triggerMs))
            .option("checkpointLocation", checkpointDir)
            .foreachBatch((VoidFunction2<Dataset<Row>, Long>) writer::write)
            .start();
    emit("{\"event\":\"started\",\"at\":" + System.currentTimeMillis() + "}");

    // The benchmark closes stdin to stop the job; a failed query ends it too. query.stop() still cleans
    // up after awaitTermination() returns, so the main thread waits for it before stopping Spark.
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean(false);
    Thread stdinWatch =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                while (in.readLine() != null) {
                  // Nothing to read: only the end of input matters.
                }
              } catch (Exception ignored) {
                // A broken pipe means the same as end of input.
              }
              stopping.set(true);
              try {
                query.stop();
              } catch (Exception error) {
                emit("{\"event\":\"stop-failed\",\"message\":" + quote(String.valueOf(error)) + "}");
              } finally {
                stopped.countDown();
              }
            },
            "stdin-watch");
    stdinWatch.setDaemon(true);
    stdinWatch.start();

    int exitCode = 0;
    try {
      query.awaitTermination();
    } catch (Exception error) {
      if (!stopping.get()) {
        emit("{\"event\":\"failed\",\"message\":" + quote(String.valueOf(error)) + "}");
        exitCode = 1;
      }
    }
    if (stopping.get()) {
      stopped.await(60, TimeUnit.SECONDS);
    }
    writer.close();
    spark.stop();
    emit("{\"event\":\"stopped\"}");
    System.exit(exitCode);
  }

  /** Writes one micro-batch: the tutorial's aggregates plus the batch's timing, in one transaction. */
  static final class BatchWriter implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final String url;
    private final String user;
    private final String password;
    private transient Connection connection;

    BatchWriter(String url, String user, String password) {
      this.url = url;
      this.user = user;
      this.password = password;
    }

    void write(Dataset<Row> batch, Long batchId) throws SQLException {
      long startedAt = System.currentTimeMillis();
      List<Row> cells =
          batch
              .groupBy(
                  col("branch"), col("currency"), expr("floor(record_time / " + BUCKET_MS + ")").as("bucket"))
              .agg(sum("amount").as("amount"), count(lit(1)).as("n"))
              .collectAsList();
      if (cells.isEmpty()) {
        return;
      }
      Map<String, BigDecimal> sums = new TreeMap<>();
      Map<String, Long> counts = new TreeMap<>();
      TreeMap<Long, Long> buckets = new TreeMap<>();
      long records = 0;
      long unparsed = 0;
      for (Row cell : cells) {
        long n = cell.getLong(4);
        records += n;
        buckets.merge(cell.getLong(2), n, Long::sum);
        if (cell.isNullAt(0) || cell.isNullAt(1) || cell.isNullAt(3)) {
          // Not a deal (from_json gave nulls): counted as a record, aggregated nowhere.
          unparsed += n;
          continue;
        }
        String key = cell.getString(0) + '\u0000' + cell.getString(1);
        sums.merge(key, cell.getDecimal(3), BigDecimal::add);
        counts.merge(key, n, Long::sum);
      }
      long firstBucket = buckets.firstKey();
      long lastBucket = buckets.lastKey();
      Integer[] histogram = new Integer[(int) (lastBucket - firstBucket + 1)];
      java.util.Arrays.fill(histogram, 0);
      for (Map.Entry<Long, Long> entry : buckets.entrySet()) {
        histogram[(int) (entry.getKey() - firstBucket)] = entry.getValue().intValue();
      }

      Connection db = connection();
      try {
        long sparkBatchId = batchId;
        boolean fresh;
        try (PreparedStatement insert =
            db.prepareStatement(
                "INSERT INTO spark_peer.applied_batch (spark_batch_id, committed_at, record_count, "
                    + "unparsed_count, first_record_time, last_record_time, record_time_histogram) "
                    + "VALUES (?, clock_timestamp(), ?, ?, ?, ?, ?) ON CONFLICT (spark_batch_id) DO NOTHING")) {
          Array array = db.createArrayOf("integer", histogram);
          insert.setLong(1, sparkBatchId);
          insert.setLong(2, records);
          insert.setLong(3, unparsed);
          insert.setTimestamp(4, new Timestamp(firstBucket * BUCKET_MS));
          insert.setTimestamp(5, new Timestamp(lastBucket * BUCKET_MS + BUCKET_MS - 1));
          insert.setArray(6, array);
          // A batch Spark re-runs after a failure is written once: its id is already there.
          fresh = insert.executeUpdate() == 1;
        }
        if (fresh && !sums.isEmpty()) {
          try (PreparedStatement flow =
              db.prepareStatement(
                  "INSERT INTO spark_peer.transaction_flow (spark_batch_id, curr_time, branch_name, "
                      + "currency_code, batch_value, tx_count) VALUES (?, now(), ?, ?, ?, ?)")) {
            for (Map.Entry<String, BigDecimal> entry : sums.entrySet()) {
              String[] parts = entry.getKey().split("\u0000", 2);
              flow.setLong(1, sparkBatchId);
              flow.setString(2, parts[0]);
              flow.setString(3, parts[1]);
              flow.setBigDecimal(4, entry.getValue());
              flow.setLong(5, counts.get(entry.getKey()));
              flow.addBatch();
            }
            flow.executeBatch();
          }
        }
        db.commit();
      } catch (SQLException error) {
        db.rollback();
        throw error;
      }
      emit(
          "{\"event\":\"batch\",\"batchId\":"
              + batchId
              + ",\"records\":"
              + records
              + ",\"ms\":"
              + (System.currentTimeMillis() - startedAt)
              + "}");
    }

    private Connection connection() throws SQLException {
      if (connection == null || connection.isClosed()) {
        connection = DriverManager.getConnection(url, user, password);
        connection.setAutoCommit(false);
      }
      return connection;
    }

    void close() {
      try {
        if (connection != null) {
          connection.close();
        }
      } catch (SQLException ignored) {
        // Closing at exit: nothing left to protect.
      }
    }
  }

  private static synchronized void emit(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private static String quote(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static String requiredEnv(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(name + " is not set");
    }
    return value;
  }

  private static String envOr(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
