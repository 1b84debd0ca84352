/**
 * Vixie cron's bitstrings (bitstring.h) as pg_cron uses them for the five fields: bit i
 * of a field means the value low + i. bit_nset is ported byte by byte because pg_cron 1.6
 * fills reversed ranges with it.
 */

/** The bytes of one bitstring, as plain numbers: typed arrays cost more to allocate than a whole parse. */
export type Bitstring = number[];

export function bitTest(bits: Bitstring, n: number): boolean {
  if (n < 0) return false;
  const byte = bits[n >> 3];
  return byte !== undefined && ((byte >> (n & 7)) & 1) === 1;
}

export function bitSet(bits: Bitstring, n: number): void {
  // In C an index outside the bitstring writes into the neighbouring field; the checks
  // in get_range keep every index this port sets inside the bitstring.
  const i = n >> 3;
  if (n >= 0 && i < bits.length) bits[i] = (bits[i] ?? 0) | (1 << (n & 7));
}

/**
 * Vixie's bit_nset macro (bitstring.h), byte by byte. With start > stop it does not set an
 * empty range: it fills the rest of start's byte and the beginning of stop's byte (nothing
 * when both are in the same byte). pg_cron 1.6 builds every step-1 range with it, so
 * `50-10` is minutes 50-55 and 8-10 there.
 */
export function bitNset(bits: Bitstring, start: number, stop: number): void {
  const startByte = start >> 3;
  const stopByte = stop >> 3;
  if (startByte === stopByte) {
    bits[startByte] = ((bits[startByte] ?? 0) | ((0xff << (start & 7)) & (0xff >> (7 - (stop & 7))))) & 0xff;
    return;
  }
  bits[startByte] = ((bits[startByte] ?? 0) | (0xff << (start & 7))) & 0xff;
  for (let b = startByte + 1; b < stopByte; b++) bits[b] = 0xff;
  bits[stopByte] = (bits[stopByte] ?? 0) | (0xff >> (7 - (stop & 7)));
}

/** The field values whose bits are set, limited to the field's valid values. */
export function valuesOf(bits: Bitstring, spec: { low: number; high: number }): number[] {
  const values: number[] = [];
  for (let v = spec.low; v <= spec.high; v++) if (bitTest(bits, v - spec.low)) values.push(v);
  return values;
}

/** 1,2,3,7 → "1-3,7". */
export function compactList(values: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < values.length) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === (values[j] ?? 0) + 1) j++;
    parts.push(j > i ? `${values[i]}-${values[j]}` : `${values[i]}`);
    i = j + 1;
  }
  return parts.join(",");
}
