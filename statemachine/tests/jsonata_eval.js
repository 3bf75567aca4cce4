// Evaluates JSONata expressions for moto's ASL interpreter, which leaves its evaluator to a
// JVM bridge it does not ship. One request per line on stdin: {"expr": "..."}; one answer
// per line on stdout: {"value": ...} (undefined answers null) or {"error": "..."}.
// jsonata 2.0.6 is the version Step Functions runs (package.json).
const jsonata = require("jsonata");
const readline = require("readline");

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    let answer;
    try {
      const { expr } = JSON.parse(line);
      const value = await jsonata(expr).evaluate(null);
      answer = { value: value === undefined ? null : value };
    } catch (e) {
      answer = { error: String((e && e.message) || e) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
});
