import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Io, multiline, pc, printable, printJson, renderForTerminal, status, table, terminal, truncate } from "../../src/cli/output.js";

// Every character a value must never carry to a terminal: C0, DEL, C1, bidi controls,
// and the Unicode line and paragraph separators.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
const SGR = /\u001b\[[0-9;]*m/g;

/** What a terminal would receive for each call, with and without colour. */
function capture(): { io: Io; lines: (colour: boolean) => string[] } {
  const texts: string[] = [];
  const io: Io = { out: (text) => texts.push(text), err: (text) => texts.push(text) };
  return { io, lines: (colour) => texts.map((t) => renderForTerminal(t, { colour })) };
}

describe("printable", () => {
  it("shows C0 and C1 controls and DEL as escapes", () => {
    assert.equal(printable("a\u001bb"), "a\\x1bb");
    assert.equal(printable("\u001b[2J\u001b[H"), "\\x1b[2J\\x1b[H");
    assert.equal(printable("\u0000\u0007\u007f"), "\\x00\\x07\\x7f");
    assert.equal(printable("\u009b31m\u0085\u009d"), "\\u009b31m\\u0085\\u009d");
    assert.equal(printable("a\tb\rc"), "a\\tb\\rc");
  });

  it("shows a newline as ⏎, so that a value stays on one line", () => {
    assert.equal(printable("a\nb"), "a⏎b");
    assert.equal(printable("a\r\nb"), "a⏎b");
    assert.equal(printable("a\u2028b\u2029c"), "a\\u2028b\\u2029c");
  });

  it("neutralises every bidi control", () => {
    const bidi = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"];
    for (const c of bidi) {
      const out = printable(`invoice${c}fdp.exe`);
      assert.doesNotMatch(out, UNSAFE, JSON.stringify(out));
      assert.equal(out, `invoice\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}fdp.exe`);
    }
  });

  it("leaves printable text alone, and is idempotent", () => {
    for (const text of ["nightly 'export' ✓", "日本語 🚀", "C:\\path\\x1b", "│ forged │ row │", "\ue000private use\ue001"]) {
      assert.equal(printable(text), text);
    }
    const once = printable("a\u001b[31m\nb\u202e");
    assert.equal(printable(once), once);
    assert.equal(printable(null), "");
    assert.equal(printable(undefined), "");
    assert.equal(printable(42), "42");
  });
});

describe("table", () => {
  it("keeps one line per row: a newline in a value does not start a row", () => {
    const out = renderForTerminal(table(["project", "job"], [["p", "a\nforged"], ["p", "b\r\n└──┘"]]), { colour: false });
    const lines = out.split("\n");
    assert.equal(lines.length, 2 + 3, out);
    assert.match(lines[2]!, /a⏎forged/);
  });

  it("escapes terminal sequences in cells, and keeps jobmon's own colours", () => {
    const rows = [["p", `evil\u001b[2J\u001b]0;title\u0007\u001b[31m${"\u202e"}`, status("failed")]];
    const plain = renderForTerminal(table(["project", "job", "status"], rows), { colour: false });
    assert.doesNotMatch(plain, UNSAFE_BUT_NEWLINE);
    assert.match(plain, /evil\\x1b\[2J\\x1b\]0;title\\x07\\x1b\[31m\\u202e/);
    const coloured = renderForTerminal(table(["project", "job", "status"], rows), { colour: true });
    assert.ok(coloured.includes("\u001b[31mfailed\u001b[39m"), JSON.stringify(coloured));
    assert.ok(coloured.includes("\u001b[1mproject\u001b[22m"), "the header is bold");
    assert.equal(coloured.replace(SGR, ""), plain, "colour adds nothing but jobmon's own SGR codes");
  });

  it("lines up columns whatever the colours", () => {
    const rows = [["a", pc.dim("(important)")], ["bb", status("ok")]];
    for (const colour of [true, false]) {
      const widths = renderForTerminal(table(["x", "y"], rows), { colour })
        .replace(SGR, "")
        .split("\n")
        .map((l) => l.length);
      assert.equal(new Set(widths).size, 1, `colour ${colour}: ${widths.join(",")}`);
    }
  });
});

describe("status and truncate", () => {
  it("status colours jobmon's status words and escapes anything else", () => {
    assert.equal(renderForTerminal(status("failed"), { colour: true }), "\u001b[31mfailed\u001b[39m");
    assert.equal(renderForTerminal(status("failed"), { colour: false }), "failed");
    assert.equal(renderForTerminal(status("weird\u001b[8m"), { colour: true }), "weird\\x1b[8m");
  });

  it("truncate makes the text printable first and never cuts an escape in half", () => {
    assert.equal(truncate("a\u001b[2Jb", 40), "a\\x1b[2Jb");
    assert.equal(truncate("line one\nline two", 40), "line one line two");
    assert.equal(truncate("abcdef", 4), "abc…");
    assert.equal(truncate("ab\u001bcdef", 5), "ab…");
    assert.equal(truncate(null, 4), "");
  });
});

describe("the terminal Io", () => {
  it("escapes what a value carries in a plain line, on one line", () => {
    const { io, lines } = capture();
    const error = "boom\n\u001b[32m✓ ALL JOBS OK\u001b[0m\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\";
    io.out(`${pc.red("✗")} smoothed: ${status("unreachable")}: ${error}`);
    const [plain] = lines(false);
    const [coloured] = lines(true);
    assert.doesNotMatch(plain!, UNSAFE);
    assert.equal(plain, "✗ smoothed: unreachable: boom⏎\\x1b[32m✓ ALL JOBS OK\\x1b[0m\\x1b]8;;https://evil.example\\x1b\\click\\x1b]8;;\\x1b\\");
    assert.equal(coloured, `\u001b[31m✗\u001b[39m smoothed: \u001b[31munreachable\u001b[39m: ${plain!.slice("✗ smoothed: unreachable: ".length)}`);
  });

  it("keeps the line breaks of jobmon's own multi-line text", () => {
    const { io, lines } = capture();
    io.out(multiline("Usage: jobmon [options]\n\nOptions:\n  -h"));
    assert.deepEqual(lines(false), ["Usage: jobmon [options]\n\nOptions:\n  -h"]);
  });

  it("writes each call as one line to the sink, with colour only when asked", () => {
    const written: string[] = [];
    const sink: Io = { out: (t) => written.push(`out:${t}`), err: (t) => written.push(`err:${t}`) };
    terminal(sink, { colour: true }).out(pc.green("✓") + " a\u001bb");
    terminal(sink, { colour: false }).err(pc.green("✓") + " a\nb");
    assert.deepEqual(written, ["out:\u001b[32m✓\u001b[39m a\\x1bb", "err:✓ a⏎b"]);
  });

  it("a value cannot pass for jobmon's own colour: the marker needs the process's random key", () => {
    const own = pc.red("x");
    const forged = own.replace(/[0-9a-f]{16}/g, "0123456789abcdef");
    assert.notEqual(forged, own, "the marker carries a key");
    const { io, lines } = capture();
    io.out(`${own} ${forged}`);
    const [coloured] = lines(true);
    assert.equal(coloured, `\u001b[31mx\u001b[39m ${forged}`);
  });

  it("printJson stays exact JSON, with every unsafe character escaped by JSON itself", () => {
    const value = { job_name: "a\u001b[2J\u009b\u202e\u2066\u007f\nb\u2028", n: 1, nested: [{ e: "\u0007" }] };
    const { io, lines } = capture();
    printJson(io, value);
    for (const colour of [true, false]) {
      const [text] = lines(colour);
      assert.doesNotMatch(text!.replace(/\n/g, ""), UNSAFE, JSON.stringify(text));
      assert.deepEqual(JSON.parse(text!), value);
      assert.ok(text!.split("\n").length > 3, "indented over several lines");
    }
  });
});
