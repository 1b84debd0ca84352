import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";

/**
 * The shape of src/, held by a test: no import cycle; the collectors and the health rules
 * (and the configuration) know nothing of the alerts; the alert delivery names no channel.
 *
 * Imports are read with TypeScript's own parser (a regular expression would take a regex
 * literal's quote for a string's), every kind of them: `import`, `import type`, `export … from`,
 * `import x = require()`, `import("…")` in code and `import("…").T` in types. Relative
 * specifiers are resolved to files under src/ (`./x.js` is `./x.ts`); package and `node:`
 * specifiers are left out.
 */

const ROOT = resolve(import.meta.dirname, "../..");
const SRC = join(ROOT, "src");

interface ImportEdge {
  /** Repository-relative, with forward slashes: src/cli/program.ts. */
  from: string;
  to: string;
  specifier: string;
  line: number;
  kind: "import" | "import type" | "export from" | "dynamic import()" | "import type()" | "require";
}

interface Scan {
  files: string[];
  edges: ImportEdge[];
  /** Imports the scanner could not follow: a computed `import()`, a relative specifier with no file. */
  problems: string[];
}

const shown = (file: string): string => relative(ROOT, file).split(sep).join("/");

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(path);
  }
  return files.sort();
}

/** `./x.js` → x.ts (or x.tsx, x.mts, the file itself, x/index.ts); null when no such file exists. */
function resolveRelative(fromFile: string, specifier: string): string | null {
  const base = resolve(dirname(fromFile), specifier);
  const stem = base.replace(/\.(?:m|c)?js$/, "");
  const candidates = [`${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, base, join(base, "index.ts")];
  return candidates.find((path) => statSync(path, { throwIfNoEntry: false })?.isFile()) ?? null;
}

function scanFile(file: string): { specifiers: { specifier: string; line: number; kind: ImportEdge["kind"] }[]; computed: number[] } {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const specifiers: { specifier: string; line: number; kind: ImportEdge["kind"] }[] = [];
  const computed: number[] = [];
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const add = (literal: ts.Node | undefined, kind: ImportEdge["kind"], at: ts.Node): void => {
    if (literal && ts.isStringLiteralLike(literal)) specifiers.push({ specifier: literal.text, line: lineOf(at), kind });
    else computed.push(lineOf(at));
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ? "import type" : "import", node);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, "export from", node);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, "require", node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], "dynamic import()", node);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, "import type()", node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { specifiers, computed };
}

function scanSrc(): Scan {
  const files = sourceFiles(SRC);
  const edges: ImportEdge[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const { specifiers, computed } = scanFile(file);
    for (const line of computed) {
      problems.push(`${shown(file)}:${line}: import() of a computed specifier: this test cannot follow it (use a string literal)`);
    }
    for (const { specifier, line, kind } of specifiers) {
      if (!specifier.startsWith(".")) continue;
      const target = resolveRelative(file, specifier);
      if (target === null) {
        problems.push(`${shown(file)}:${line}: ${kind} "${specifier}" resolves to no file`);
        continue;
      }
      edges.push({ from: shown(file), to: shown(target), specifier, line, kind });
    }
  }
  return { files: files.map(shown), edges, problems };
}

/**
 * Every cycle of the graph, one per strongly connected component (Tarjan), each given as the
 * path of imports that closes it: `a.ts:3 (import) → b.ts:7 (import type) → a.ts`.
 */
function findCycles(files: readonly string[], edges: readonly ImportEdge[]): string[] {
  const out = new Map<string, ImportEdge[]>();
  for (const file of files) out.set(file, []);
  for (const edge of edges) out.get(edge.from)?.push(edge);

  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strongConnect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const { to } of out.get(v) ?? []) {
      if (!index.has(to)) {
        strongConnect(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (out.get(v) ?? []).some((e) => e.to === v);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const file of files) if (!index.has(file)) strongConnect(file);

  // In each component, the shortest path from its first file back to itself (breadth-first).
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const via = new Map<string, ImportEdge>();
    const queue = [start];
    let closing: ImportEdge | undefined;
    while (queue.length > 0 && !closing) {
      const v = queue.shift()!;
      for (const edge of out.get(v) ?? []) {
        if (!members.has(edge.to)) continue;
        if (edge.to === start) {
          closing = edge;
          break;
        }
        if (!via.has(edge.to)) {
          via.set(edge.to, edge);
          queue.push(edge.to);
        }
      }
    }
    const path: ImportEdge[] = [closing!];
    for (let v = closing!.from; v !== start; v = via.get(v)!.from) path.unshift(via.get(v)!);
    const steps = path.map((e) => `${e.from}:${e.line} (${e.kind} "${e.specifier}")`).join("\n    → ");
    const others = component.length > path.length ? `\n    (${component.length} modules in this cycle's component: ${[...component].sort().join(", ")})` : "";
    return `  ${steps}\n    → ${start}${others}`;
  });
}

const scan = scanSrc();

describe("architecture of src/", () => {
  test("the scanner finds the modules and follows every import", () => {
    assert.ok(scan.files.length > 50, `only ${scan.files.length} modules found under src/`);
    assert.ok(
      scan.edges.some((e) => e.from === "src/hub/open.ts" && e.to === "src/node/embedded-hub.ts" && e.kind === "dynamic import()"),
      "the dynamic import of src/node/embedded-hub.ts in src/hub/open.ts was not found: the scanner misses dynamic imports",
    );
    assert.ok(scan.problems.length === 0, `imports the scanner cannot follow:\n  ${scan.problems.join("\n  ")}`);
  });

  test("no import cycle", () => {
    const cycles = findCycles(scan.files, scan.edges);
    assert.ok(
      cycles.length === 0,
      `${cycles.length} import cycle(s) in src/ (type-only imports count: they tie the modules together just the same). ` +
        `Move what both sides need into a module that imports neither:\n${cycles.join("\n\n")}`,
    );
  });

  test("src/sources/, src/health/ and src/config.ts import nothing under src/alerts/", () => {
    const lower = (path: string): boolean => path.startsWith("src/sources/") || path.startsWith("src/health/") || path === "src/config.ts";
    const offending = scan.edges.filter((e) => lower(e.from) && e.to.startsWith("src/alerts/"));
    assert.ok(
      offending.length === 0,
      `${offending.length} import(s) of src/alerts/ where collecting facts and judging jobs must not depend on how alerts are sent ` +
        `(move what they share out of src/alerts/):\n  ${offending.map((e) => `${e.from}:${e.line}: ${e.kind} "${e.specifier}" (${e.to})`).join("\n  ")}`,
    );
  });

  test("src/alerts/deliver.ts names no channel (discord, telegram, slack, webhook), in code or comments", () => {
    const file = join(SRC, "alerts", "deliver.ts");
    const lines = readFileSync(file, "utf8").split("\n");
    const hits: string[] = [];
    lines.forEach((text, i) => {
      const words = [...text.matchAll(/discord|telegram|slack|webhook/gi)].map((m) => m[0]);
      const line = text.trim();
      if (words.length > 0) hits.push(`src/alerts/deliver.ts:${i + 1} [${words.join(", ")}]: ${line.length > 110 ? `${line.slice(0, 109)}…` : line}`);
    });
    assert.ok(
      hits.length === 0,
      `src/alerts/deliver.ts must reach the channels through their common interface only and name none of them; ${hits.length} line(s) do:\n  ${hits.join("\n  ")}`,
    );
  });
});

describe("the architecture scanner itself", () => {
  test("finds a cycle and reports its path", () => {
    const edge = (from: string, to: string, line: number): ImportEdge => ({ from, to, specifier: `./${to}`, line, kind: "import" });
    const cycles = findCycles(["a.ts", "b.ts", "c.ts", "d.ts"], [edge("a.ts", "b.ts", 1), edge("b.ts", "c.ts", 2), edge("c.ts", "a.ts", 3), edge("c.ts", "d.ts", 4)]);
    assert.equal(cycles.length, 1);
    assert.match(cycles[0]!, /a\.ts:1 .*\n\s+→ b\.ts:2 .*\n\s+→ c\.ts:3 .*\n\s+→ a\.ts$/);
    assert.deepEqual(findCycles(["a.ts", "b.ts"], [edge("a.ts", "b.ts", 1)]), []);
  });
});
