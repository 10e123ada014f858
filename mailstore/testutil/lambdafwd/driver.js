// Runs the real aws-lambda-ses-forwarder handler on a batch of cases, one
// JSON object a line on stdin, and writes one JSON result a line on stdout,
// in the same order. One process serves the whole batch so a differential
// test of thousands of messages stays fast.
//
//   in:  {"id": N, "raw": base64, "config": {...} | null, "recipients": [...]}
//   out: {"id": N, "sent": bool, "destinations": [...], "data": base64, "error": "..."}
//
// The S3 and SES clients are stubs for just the operations the handler
// calls (CopyObject, GetObject, SendEmail), passed through the handler's
// own overrides: there is no network. GetObject's Body is built with the
// AWS SDK's own stream mixin, so transformToString decodes the stored bytes
// exactly as the real client does.
"use strict";

const path = require("path");
const readline = require("readline");
const { createRequire } = require("module");
const { Readable } = require("stream");

const pkgDir = process.argv[2];
if (!pkgDir) {
  process.stderr.write("usage: node driver.js <aws-lambda-ses-forwarder dir>\n");
  process.exit(2);
}
const pkgRequire = createRequire(path.resolve(pkgDir, "index.js"));

// The module prints a banner with console.log when loaded: keep stdout for results.
const consoleLog = console.log;
console.log = () => {};
const lambda = pkgRequire("./index.js");
console.log = consoleLog;
const { sdkStreamMixin } = pkgRequire("@smithy/core/serde");
const version = pkgRequire("./package.json").version;

function runCase(c) {
  return new Promise((resolve) => {
    const raw = Buffer.from(c.raw, "base64");
    const result = { id: c.id, sent: false, destinations: [], data: "", error: "" };
    let done = false;
    const finish = (err) => {
      // transformRecipients "finishes" by calling the callback and then lets
      // the chain run on with undefined data, which calls it a second time
      // with an error: the first call is the Lambda's answer.
      if (done) return;
      done = true;
      if (err) result.error = String(err.message || err);
      resolve(result);
    };
    const s3 = {
      send(cmd, cb) {
        const name = cmd.constructor.name;
        if (name === "CopyObjectCommand") return cb(null, {});
        if (name === "GetObjectCommand") {
          return cb(null, { Body: sdkStreamMixin(Readable.from([raw])) });
        }
        return cb(new Error("stub S3: unexpected " + name));
      },
    };
    const ses = {
      send(cmd, cb) {
        const name = cmd.constructor.name;
        if (name !== "SendEmailCommand") return cb(new Error("stub SES: unexpected " + name));
        const input = cmd.input;
        result.sent = true;
        result.destinations = input.Destination.ToAddresses;
        result.data = Buffer.from(input.Content.Raw.Data).toString("base64");
        return cb(null, { MessageId: "stub-" + c.id });
      },
    };
    const event = {
      Records: [{
        eventSource: "aws:ses",
        eventVersion: "1.0",
        ses: {
          mail: { messageId: "case-" + c.id },
          receipt: { recipients: c.recipients },
        },
      }],
    };
    try {
      lambda.handler(event, {}, finish, { config: c.config, s3, ses, log: () => {} });
    } catch (err) {
      finish(err);
    }
  });
}

async function main() {
  const cases = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() !== "") cases.push(JSON.parse(line));
  }
  // The handler waits on stream and promise turns between its steps: run a
  // few cases at once (they share nothing) and answer in input order.
  const results = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i]);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const out = [JSON.stringify({ version })];
  for (const r of results) out.push(JSON.stringify(r));
  process.stdout.write(out.join("\n") + "\n");
}

main().catch((err) => {
  process.stderr.write(String(err.stack || err) + "\n");
  process.exit(1);
});
