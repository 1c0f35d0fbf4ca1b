// Decode OTLP/HTTP protobuf request bodies with the OpenTelemetry JS
// project's generated protobuf code (protobufjs, from the official
// opentelemetry-proto definitions; installed by scripts/install-npm-tools),
// an implementation independent of ours.
//
// usage: node otlp_decode.js FILE...
// Prints, per file, one line of OTLP/JSON (ids as lowercase hex, 64-bit
// integers as decimal strings, enums as numbers): the shape the file
// exporter writes, so tests/integration/spanlib.py reads both.  Fails
// (exit 1, naming the file) when a body does not decode, does not verify,
// or does not re-encode to the very same bytes (which catches unknown
// fields, wrong wire types and non-canonical varints).
"use strict";
const fs = require("fs");
const path = require("path");
const gen = path.join(__dirname, "../../build/npm/node_modules/@opentelemetry/" +
	"otlp-transformer/build/src/generated/root.js");
const root = require(gen);
const Req = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const hex = (b64) => Buffer.from(b64, "base64").toString("hex");

for (const f of process.argv.slice(2)) {
	const buf = fs.readFileSync(f);
	let msg;
	try {
		msg = Req.decode(buf);
	} catch (e) {
		console.error(`${f}: does not decode: ${e.message}`);
		process.exit(1);
	}
	const bad = Req.verify(msg);
	if (bad) {
		console.error(`${f}: does not verify: ${bad}`);
		process.exit(1);
	}
	const again = Buffer.from(Req.encode(msg).finish());
	if (!again.equals(buf)) {
		console.error(`${f}: re-encodes to different bytes (${again.length} vs ${buf.length})`);
		process.exit(1);
	}
	const obj = Req.toObject(msg, { longs: String, enums: Number, bytes: String });
	for (const rs of obj.resourceSpans || [])
		for (const ss of rs.scopeSpans || [])
			for (const s of ss.spans || []) {
				s.traceId = hex(s.traceId);
				s.spanId = hex(s.spanId);
				if (s.parentSpanId)
					s.parentSpanId = hex(s.parentSpanId);
			}
	process.stdout.write(JSON.stringify(obj) + "\n");
}
