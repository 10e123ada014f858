// Runs the real aws-lambda-ses-forwarder handler once per invocation of a
// scenario and prints the CloudWatch Logs events the Lambda service would
// store for them: the platform lines (INIT_START, START, END, REPORT, the
// timeout line) and every console.log of the handler formatted the way the
// Node.js runtime formats it (`<ISO time>\t<request id>\tINFO\t<util.format
// of the arguments>`, one event per call, newlines kept).
//
//   in (stdin, one JSON object a line):
//     {"messageId": "...", "raw": base64, "recipients": [...], "config": {...},
//      "start": <ms since epoch>, "attempts": ["success" | "rejected-size" |
//      "rejected-unverified" | "s3-access-denied" | "s3-no-such-key" |
//      "throttled" | "timeout", ...], "sesError": "optional message"}
//   out (stdout): {"version": "6.0.0"} then one JSON event a line, sorted by
//     time: {"timestamp": ms, "ingestionTime": ms, "logStreamName": "...",
//     "eventId": "...", "message": "..."}
//
// Every attempt is one invocation with its own request id (as SES's
// asynchronous invocation is retried by Lambda after a function error, one
// and then two minutes later). The clock is simulated: each log line of an
// invocation is a few milliseconds after the one before, so invocations
// whose starts are close interleave in the log, as they do in CloudWatch.
// Request ids and event ids are derived from the input, so the same input
// gives the same output.
//
// The S3 and SES clients are stubs (only CopyObject, GetObject and
// SendEmail, the calls the handler makes), passed through the handler's own
// overrides: there is no network. Errors they return are built like the
// AWS SDK's (name, message, $fault, $metadata), so the handler logs them as
// it would log the real ones.
"use strict";

const path = require("path");
const util = require("util");
const crypto = require("crypto");
const readline = require("readline");
const { createRequire } = require("module");
const { Readable } = require("stream");

const pkgDir = process.argv[2];
if (!pkgDir) {
  process.stderr.write("usage: node logdriver.js <aws-lambda-ses-forwarder dir>\n");
  process.exit(2);
}
const pkgRequire = createRequire(path.resolve(pkgDir, "index.js"));

// The module prints its banner with console.log when loaded: capture it
// for the cold start's log.
const consoleLog = console.log;
let banner = "";
console.log = (...args) => { banner = util.format(...args); };
const lambda = pkgRequire("./index.js");
console.log = consoleLog;
const { sdkStreamMixin } = pkgRequire("@smithy/core/serde");
const version = pkgRequire("./package.json").version;

const stream = "2026/12/04/[$LATEST]" + hex("stream").slice(0, 32);
const events = [];
let seq = 0;

function hex(s) {
  return crypto.createHash("sha256").update(s).digest("hex");
}

function requestId(s) {
  const h = hex(s);
  return [h.slice(0, 8), h.slice(8, 12), "4" + h.slice(13, 16), "a" + h.slice(17, 20), h.slice(20, 32)].join("-");
}

// local rewrites this machine's paths in stack traces to the ones the
// Lambda runtime shows (the function's code in /var/task). Node names
// files by their real path, so a package reached through a symlink is
// rewritten under both names.
const taskDirs = [...new Set([path.resolve(pkgDir), require("fs").realpathSync(pkgDir)])];
function local(s) {
  for (const d of taskDirs) s = s.split(d).join("/var/task");
  return s.split(__filename).join("/var/runtime/index.mjs");
}

function emit(ts, message) {
  seq++;
  events.push({
    timestamp: ts,
    ingestionTime: ts + 150,
    logStreamName: stream,
    eventId: String(ts).padStart(20, "0") + String(seq).padStart(16, "0"),
    message,
  });
}

// awsError builds an error the way the AWS SDK v3 deserializers do.
function awsError(name, message, fault, status, service) {
  const err = new Error(message);
  err.name = name;
  err.$fault = fault;
  err.$metadata = {
    httpStatusCode: status,
    requestId: requestId("aws-" + name + message).toUpperCase().replace(/-/g, "").slice(0, 16),
    attempts: 1,
    totalRetryDelay: 0,
  };
  // A fixed stack, as the SDK's would read inside the Lambda runtime (the
  // test that regenerates the fixtures must not depend on this machine).
  err.stack = name + ": " + message +
    "\n    at throwDefaultError (/var/runtime/node_modules/@aws-sdk/node_modules/@smithy/smithy-client/dist-cjs/index.js:867:20)" +
    "\n    at de_CommandError (/var/runtime/node_modules/@aws-sdk/client-" + service + "/dist-cjs/index.js:1720:14)";
  return err;
}

const outcomes = {
  "success": {},
  "rejected-size": { ses: (c) => awsError("MessageRejected", c.sesError || "Message length is more than 41943040 bytes long: '44040192'.", "client", 400, "sesv2") },
  "rejected-unverified": { ses: (c) => awsError("MessageRejected", c.sesError || "Email address is not verified. The following identities failed the check in region US-EAST-1: " + c.recipients.join(", "), "client", 400, "sesv2") },
  "throttled": { ses: () => awsError("TooManyRequestsException", "Maximum sending rate exceeded.", "client", 429, "sesv2") },
  "s3-access-denied": { copy: () => awsError("AccessDenied", "Access Denied", "client", 403, "s3") },
  "s3-no-such-key": { copy: () => awsError("NoSuchKey", "The specified key does not exist.", "client", 404, "s3") },
  "timeout": { hang: true },
};

// invoke runs one invocation and returns its log lines as [offset ms, text].
function invoke(c, outcome, reqId) {
  return new Promise((resolve) => {
    const o = outcomes[outcome];
    if (!o) throw new Error("unknown outcome " + outcome);
    const raw = Buffer.from(c.raw, "base64");
    const lines = [];
    let t = 0;
    const log = (...args) => {
      t += 3 + (lines.length % 5);
      lines.push([t, local(util.format(...args))]);
    };
    let done = false;
    const finish = (err, timedOut) => {
      if (done) return;
      done = true;
      // The runtime waits for the event loop to empty before it ends the
      // invocation (callbackWaitsForEmptyEventLoop): what the handler
      // logs after its callback is still this invocation's.
      setTimeout(() => resolve({ lines, err, timedOut, t }), 20);
    };
    const s3 = {
      send(cmd, cb) {
        const name = cmd.constructor.name;
        if (name === "CopyObjectCommand") return cb(o.copy ? o.copy(c) : null, {});
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
        if (o.hang) return finish(null, true);
        if (o.ses) return cb(o.ses(c));
        return cb(null, {
          MessageId: "0100019" + hex(reqId).slice(0, 9) + "-" + requestId("ses" + reqId) + "-000000",
          $metadata: { httpStatusCode: 200, requestId: requestId("sesreq" + reqId), attempts: 1, totalRetryDelay: 0 },
        });
      },
    };
    const event = {
      Records: [{
        eventSource: "aws:ses",
        eventVersion: "1.0",
        ses: {
          mail: { messageId: c.messageId, source: "sender@example.net", destination: c.recipients },
          receipt: { recipients: c.recipients },
        },
      }],
    };
    // transformRecipients "finishes" by calling the callback and then lets
    // the chain run on, which calls it a second time with an error: the
    // first call is the invocation's answer, as in the Lambda runtime.
    lambda.handler(event, {}, (err) => finish(err, false), { config: c.config, s3, ses, log });
  });
}

const runtimeVersion = "nodejs:20.v45\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:" + hex("runtime").slice(0, 64);

async function runCase(c, cold) {
  for (let i = 0; i < c.attempts.length; i++) {
    // Lambda retries a failed asynchronous invocation after about one
    // minute, then two.
    const start = c.start + [0, 60000, 180000][i] + (i > 0 ? 431 * i : 0);
    const reqId = requestId(c.messageId + "#" + i);
    if (cold && i === 0) {
      emit(start - 420, "INIT_START Runtime Version: " + runtimeVersion + "\n");
      emit(start - 180, new Date(start - 180).toISOString() + "\tundefined\tINFO\t" + banner + "\n");
    }
    emit(start, "START RequestId: " + reqId + " Version: $LATEST\n");
    const r = await invoke(c, c.attempts[i], reqId);
    for (const [off, text] of r.lines) {
      emit(start + off, new Date(start + off).toISOString() + "\t" + reqId + "\tINFO\t" + text + "\n");
    }
    let end = start + r.t + 2;
    if (r.err) {
      const trace = local(String(r.err.stack)).split("\n");
      const report = JSON.stringify({ errorType: r.err.name, errorMessage: r.err.message, trace });
      end += 1;
      emit(end, new Date(end).toISOString() + "\t" + reqId + "\tERROR\tInvoke Error \t" + report + "\n");
    }
    if (r.timedOut) {
      end = start + 3000;
    }
    const dur = (end - start + 0.37).toFixed(2);
    emit(end + 1, "END RequestId: " + reqId + "\n");
    let report = "REPORT RequestId: " + reqId + "\tDuration: " + dur + " ms\tBilled Duration: " +
      Math.ceil(end - start) + " ms\tMemory Size: 128 MB\tMax Memory Used: 92 MB\t";
    if (cold && i === 0) report += "Init Duration: 389.12 ms\t";
    if (r.timedOut) report += "Status: timeout\n";
    else report += "\n";
    emit(end + 1, report);
    if (r.timedOut) {
      emit(end + 2, new Date(end + 2).toISOString() + " " + reqId + " Task timed out after 3.00 seconds\n\n");
    }
  }
}

async function main() {
  const cases = [];
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() !== "") cases.push(JSON.parse(line));
  }
  for (let i = 0; i < cases.length; i++) {
    await runCase(cases[i], i === 0);
  }
  events.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
  const out = [JSON.stringify({ version })];
  for (const e of events) out.push(JSON.stringify(e));
  process.stdout.write(out.join("\n") + "\n");
}

main().catch((err) => {
  process.stderr.write(String(err.stack || err) + "\n");
  process.exit(1);
});
