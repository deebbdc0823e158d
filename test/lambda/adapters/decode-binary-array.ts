/** Reads a one-dimensional array in PostgreSQL's binary format: the tests' own reading, apart from the writer. */
export function decodeBinaryArray(buffer: Buffer): { oid: number; values: (bigint | null)[] } {
  const ndim = buffer.readInt32BE(0);
  const oid = buffer.readInt32BE(8);
  if (ndim === 0) return { oid, values: [] };
  if (ndim !== 1 || buffer.readInt32BE(16) !== 1) throw new Error(`not a 1-based one-dimensional array`);
  const length = buffer.readInt32BE(12);
  const values: (bigint | null)[] = [];
  let at = 20;
  for (let i = 0; i < length; i++) {
    const bytes = buffer.readInt32BE(at);
    at += 4;
    if (bytes === -1) {
      values.push(null);
      continue;
    }
    values.push(bytes === 8 ? buffer.readBigInt64BE(at) : BigInt(buffer.readInt32BE(at)));
    at += bytes;
  }
  if (at !== buffer.length) throw new Error(`${buffer.length - at} bytes left over`);
  return { oid, values };
}
