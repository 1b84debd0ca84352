import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

/**
 * The data directory of a freshly initialised PGlite, built by `npm run build`
 * (scripts/build-pglite-template.mjs). A new embedded hub and the demo's databases start
 * from it, which skips PGlite's initdb (seconds). Absent (e.g. running from src/ before a
 * build), everything still works, only slower on first use.
 */
const CANDIDATES = ["../pglite-template.tar.gz", "../../dist/pglite-template.tar.gz"];

let cachedFile: Uint8Array<ArrayBuffer> | null | undefined;
let cachedBlob: Blob | undefined;

function templateFile(): Uint8Array<ArrayBuffer> | null {
  if (cachedFile === undefined) {
    const file = CANDIDATES.map((c) => fileURLToPath(new URL(c, import.meta.url))).find((f) => existsSync(f));
    cachedFile = file ? readFileSync(file) : null;
  }
  return cachedFile;
}

/** The template as PGlite's `loadDataDir` takes it (an in-memory database needs this). */
export function pgliteTemplate(): Blob | undefined {
  const file = templateFile();
  if (!file) return undefined;
  return (cachedBlob ??= new Blob([file]));
}

/**
 * Lays the template down as the data directory `dataDir`, which must not exist or be empty,
 * so that PGlite opens it as an existing database. PGlite's own loader (`loadDataDir`) reads
 * the tarball in JavaScript a field at a time and writes it through its virtual file system:
 * about a second of CPU for the template's 40 MB (a 16 MB WAL segment among them), where
 * this takes a tenth of that. The files are written beside `dataDir` and moved into place at
 * the end, so that a process stopped half way leaves no half database behind.
 *
 * Returns false, having written nothing, when there is no template.
 */
export function extractPgliteTemplate(dataDir: string): boolean {
  const file = templateFile();
  if (!file) return false;
  const staging = `${dataDir}.new-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    untar(gunzipSync(file), staging);
    if (existsSync(dataDir) && readdirSync(dataDir).length === 0) rmSync(dataDir, { recursive: true });
    renameSync(staging, dataDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return true;
}

/** A NUL-terminated text field of a tar header. */
function field(header: Buffer, offset: number, length: number): string {
  const bytes = header.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? length : end).toString("utf8");
}

function octal(header: Buffer, offset: number, length: number): number {
  const text = field(header, offset, length).trim();
  const value = text === "" ? 0 : Number.parseInt(text, 8);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`pglite template: bad number ${JSON.stringify(text)} in a tar header`);
  return value;
}

/**
 * Writes a ustar archive's directories and regular files (all PGlite's dumpDataDir writes)
 * under `root`. Anything else, or a path leaving `root`, is an error: the template is the
 * build's own file, so this is a broken build.
 */
function untar(tar: Buffer, root: string): void {
  const BLOCK = 512;
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const header = tar.subarray(offset, offset + BLOCK);
    offset += BLOCK;
    const name = field(header, 0, 100);
    // Two empty blocks end the archive.
    if (name === "") break;
    const prefix = field(header, 345, 155);
    const parts = `${prefix}/${name}`.split("/").filter((part) => part !== "" && part !== ".");
    if (parts.length === 0 || parts.includes("..")) throw new Error(`pglite template: unexpected path ${JSON.stringify(name)}`);
    const path = join(root, ...parts);
    // The owner can always read and write what it unpacked.
    const mode = (octal(header, 100, 8) & 0o777) | (header[156] === 0x35 ? 0o700 : 0o600);
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === "5") {
      mkdirSync(path, { recursive: true, mode });
    } else if (type === "0" || type === "\0") {
      if (offset + size > tar.length) throw new Error(`pglite template: ${parts.join("/")} is cut short`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, tar.subarray(offset, offset + size), { mode });
    } else {
      throw new Error(`pglite template: unexpected entry type ${JSON.stringify(type)} for ${parts.join("/")}`);
    }
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
}
