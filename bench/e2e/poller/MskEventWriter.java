// The MSK event of a batch of one partition's records, as lambda/domain/kafka-record.ts's encodeMskEvent
// writes it: the same keys in the same order, key and value in standard base64, headers as arrays of
// byte values, so that the function cannot tell the benchmark's poller from the emulator
// (test/integration/event-poller.test.ts compares them byte for byte). Written straight into one byte
// array: the poller makes a 3 MB event every few hundred milliseconds per partition.
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

final class MskEventWriter {
  // Per record, the MSK event spends about this much on the JSON around key and value (as partition-lane.ts).
  private static final int RECORD_ENVELOPE_BYTES = 160;
  private final byte[] eventHead;

  MskEventWriter(String eventSourceArn, String bootstrapServers) {
    eventHead = ("{\"eventSource\":\"aws:kafka\",\"eventSourceArn\":" + json(eventSourceArn)
        + ",\"bootstrapServers\":" + json(bootstrapServers) + ",\"records\":{").getBytes(StandardCharsets.UTF_8);
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

  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  /** What a record adds to the event: the batch limit counts these, as partition-lane.ts does. */
  static long eventBytes(ConsumerRecord<byte[], byte[]> record) {
    return base64Length(record.key()) + base64Length(record.value()) + RECORD_ENVELOPE_BYTES;
  }

  private static long base64Length(byte[] bytes) {
    return bytes == null ? 0 : (bytes.length + 2) / 3 * 4L;
  }

  /** The MSK event as encodeMskEvent writes it, key for key, in its order. */
  byte[] encode(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> batch) {
    long size = eventHead.length + 64;
    for (ConsumerRecord<byte[], byte[]> record : batch) size += eventBytes(record);
    Bytes out = new Bytes((int) Math.min(Integer.MAX_VALUE / 2, size));
    out.write(eventHead);
    String group = json(partition.topic() + "-" + partition.partition());
    out.ascii(group).ascii(":[");
    byte[] topicField = ("{\"topic\":" + json(partition.topic()) + ",\"partition\":" + partition.partition()
        + ",\"offset\":").getBytes(StandardCharsets.UTF_8);
    Decimal offsets = new Decimal();
    Decimal timestamps = new Decimal();
    boolean first = true;
    for (ConsumerRecord<byte[], byte[]> record : batch) {
      if (!first) out.ascii(",");
      first = false;
      out.write(topicField).decimal(offsets, record.offset()).write(TIMESTAMP_FIELD)
          .decimal(timestamps, record.timestamp())
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

  /**
   * The last non-negative integer written in decimal, and its digits: offsets in a batch are consecutive
   * and many records share a millisecond, so most are the last one's digits again, or those plus one.
   */
  private static final class Decimal {
    private final byte[] digits = new byte[20];
    private int length;
    private long last = Long.MIN_VALUE;

    byte[] digits() {
      return digits;
    }

    int length() {
      return length;
    }

    void set(long value) {
      if (value == last) return;
      if (value == last + 1 && value > 0) {
        int at = length - 1;
        while (at >= 0 && digits[at] == '9') digits[at--] = '0';
        if (at >= 0) digits[at]++;
        else {
          System.arraycopy(digits, 0, digits, 1, length);
          digits[0] = '1';
          length++;
        }
      } else {
        byte[] text = Long.toString(value).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, digits, 0, text.length);
        length = text.length;
      }
      last = value;
    }
  }

  /** A growing byte buffer: the event is ASCII but for the JSON strings, which json() escapes. */
  private static final class Bytes {
    private byte[] buffer;
    private int length;
    // Base64.Encoder writes from index 0 only: each value goes through this, then into the buffer.
    private byte[] scratch = new byte[1024];

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

    /** An offset or a timestamp in decimal, through the digits of the one before it. */
    Bytes decimal(Decimal cache, long value) {
      if (value < 0) return number(value);
      cache.set(value);
      ensure(cache.length());
      System.arraycopy(cache.digits(), 0, buffer, length, cache.length());
      length += cache.length();
      return this;
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

    /** Standard base64 with padding, as Buffer#toString('base64'): the JDK's encoder (an intrinsic), then copied in. */
    Bytes base64(byte[] bytes) {
      int length = (int) base64Length(bytes);
      if (scratch.length < length) scratch = new byte[length];
      BASE64.encode(bytes, scratch);
      ensure(length);
      System.arraycopy(scratch, 0, buffer, this.length, length);
      this.length += length;
      return this;
    }

    byte[] toArray() {
      return Arrays.copyOf(buffer, length);
    }
  }

  /** A JSON string literal. */
  static String json(String text) {
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

}
