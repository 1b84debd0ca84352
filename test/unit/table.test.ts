import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { displayWidth, multiline, pc, renderForTerminal, status, table } from "../../src/cli/output.js";
import { SGR } from "../helpers/terminal-fuzz.js";

/** The lines a terminal gets, without colour or with it. */
const lines = (text: string, colour = false): string[] => renderForTerminal(text, { colour }).split("\n");

/** Where each `│` of a line stands, in terminal columns (wide characters count two). */
function borderColumns(line: string): number[] {
  const out: number[] = [];
  let column = 0;
  for (const c of line.replace(SGR, "")) {
    if (c === "│") out.push(column);
    column += displayWidth(c);
  }
  return out;
}

describe("displayWidth", () => {
  it("counts terminal columns: wide East Asian characters and emoji two, combining marks none", () => {
    assert.equal(displayWidth("abc"), 3);
    assert.equal(displayWidth(""), 0);
    assert.equal(displayWidth("日本語"), 6);
    assert.equal(displayWidth("ｆｕｌｌ"), 8, "fullwidth forms");
    assert.equal(displayWidth("🚀x"), 3);
    assert.equal(displayWidth("e\u0301"), 1, "e + combining acute");
    assert.equal(displayWidth("a\u200bb"), 2, "zero-width space");
    assert.equal(displayWidth("✓ ⏎ … │"), 7);
  });

  it("gives jobmon's own colour markers no width", () => {
    assert.equal(displayWidth(pc.red("failed")), 6);
    assert.equal(displayWidth(pc.bold(`a${pc.dim("bc")}`)), 3);
  });
});

describe("table", () => {
  it("draws the box: a bold header line, one line a row, every border in the same column", () => {
    const rows = [
      ["demo-leads", "dedupe-leads", status("failed")],
      ["p", "日本語のジョブ", status("success")],
      ["wider project name", `escaped\u001b[2J\u202e${"\n"}name`, null],
      ["🚀", "e\u0301", 42],
    ];
    for (const colour of [false, true]) {
      const out = lines(table(["project", "job", "status"], rows), colour);
      assert.equal(out.length, rows.length + 3, out.join("\n"));
      assert.match(out[0]!, /^┌─+┬─+┬─+┐$/);
      assert.match(out.at(-1)!, /^└─+┴─+┴─+┘$/);
      const expected = borderColumns(out[1]!);
      assert.equal(expected.length, 4);
      for (const line of out.slice(1, -1)) assert.deepEqual(borderColumns(line), expected, `colour ${colour}: ${JSON.stringify(line)}`);
      // The rules are as wide as the rows.
      assert.equal(displayWidth(out[0]!), displayWidth(out[1]!.replace(SGR, "")));
    }
    const plain = lines(table(["project", "job", "status"], rows));
    assert.equal(plain[4], "│ wider project name │ escaped\\x1b[2J\\u202e⏎name │         │");
    assert.equal(plain[2], "│ demo-leads         │ dedupe-leads              │ failed  │");
    assert.equal(plain[3], "│ p                  │ 日本語のジョブ            │ success │");
  });

  it("counts no colour code in a width: coloured and plain cells line up alike", () => {
    const rows = [["a", pc.dim("(important)")], ["bb", status("ok")], [pc.bold(pc.red("ccc")), "x"]];
    const coloured = lines(table(["x", "y"], rows), true);
    const plain = lines(table(["x", "y"], rows), false);
    assert.deepEqual(
      coloured.map((l) => l.replace(SGR, "")),
      plain,
    );
    assert.equal(new Set(plain.map((l) => l.length)).size, 1, plain.join("\n"));
    assert.ok(coloured[1]!.includes("\u001b[1mx\u001b[22m"), "the header is bold");
    assert.ok(coloured.some((l) => l.includes("\u001b[31mccc\u001b[39m")));
  });

  it("draws an empty table as its header, and a row shorter than the header with empty cells", () => {
    assert.deepEqual(lines(table(["project", "job"], [])), ["┌─────────┬─────┐", "│ project │ job │", "└─────────┴─────┘"]);
    assert.deepEqual(lines(table(["a", "b"], [["x"]])), ["┌───┬───┐", "│ a │ b │", "│ x │   │", "└───┴───┘"]);
  });

  it("keeps one line per row even for a cell that carries jobmon's own line break", () => {
    const out = lines(table(["a"], [[multiline("one\ntwo")]]));
    assert.equal(out.length, 4);
    assert.equal(out[2], "│ one⏎two │");
  });

  it("writes ten thousand rows, one line each, the widest cell setting the column", () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => [`p${i % 200}`, `job-${i}`, status(i % 50 === 0 ? "failed" : "success")]);
    rows[7_777]![1] = "the-longest-job-name-of-all-日本";
    const out = lines(table(["project", "job", "status"], rows));
    assert.equal(out.length, 10_003);
    assert.equal(out[2 + 7_777], "│ p177    │ the-longest-job-name-of-all-日本 │ success │");
    assert.equal(out[2], "│ p0      │ job-0                            │ failed  │");
    const widths = new Set(out.map(displayWidth));
    assert.equal(widths.size, 1, "every line as wide as the others");
  });
});
