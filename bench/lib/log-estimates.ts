/**
 * CloudWatch Logs bytes that the offline run cannot observe, estimated from representative records. CloudWatch
 * bills ingested bytes: each log event's message plus 26 bytes of event overhead (the PutLogEvents size rule).
 */
const eventOverheadBytes = 26;

const requestId = '8f5a2c1e-6a4b-4c3d-9e2f-1a2b3c4d5e6f';

/** What Lambda writes for every invocation in the text log format: START, END, REPORT and, when traced, XRAY. */
const lambdaPlatformLines = [
  `START RequestId: ${requestId} Version: 12`,
  `END RequestId: ${requestId}`,
  `REPORT RequestId: ${requestId}\tDuration: 23.45 ms\tBilled Duration: 24 ms\tMemory Size: 512 MB\tMax Memory Used: 98 MB\t`,
  'XRAY TraceId: 1-6745a1b2-5ac6c58f5b5daa6532e4f2f4\tSegmentId: 6b2d3c4e5f6a7b8c\tSampled: true\t',
];

/** One access log record of the API stage, with the fields stacks/service-stack.ts configures. */
const apiAccessRecord = {
  requestId,
  extendedRequestId: 'Bq3xHFVaIAMEb5Q=',
  requestTime: '26/Nov/2026:23:08:32 +0000',
  ip: '203.0.113.42',
  userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  caller: '3c4d5e6f-1a2b-4c3d-9e2f-8f5a2c1e6a4b',
  httpMethod: 'POST',
  resourcePath: '/orders/{orderId}',
  status: '202',
  protocol: 'HTTP/1.1',
  responseLength: '612',
  responseLatency: '84',
  integrationLatency: '80',
  integrationStatus: '202',
  errorMessage: '-',
  xrayTraceId: 'Root=1-6745a1b2-5ac6c58f5b5daa6532e4f2f4',
  wafResponseCode: 'WAF_ALLOW',
};

/** Bytes Lambda's own lines add to the function's log group per invocation. */
export const lambdaPlatformLogBytesPerInvocation = lambdaPlatformLines.reduce(
  (sum, line) => sum + Buffer.byteLength(line) + eventOverheadBytes,
  0,
);

/** Bytes of the stage access log per API request. */
export const apiAccessLogBytesPerRequest = Buffer.byteLength(JSON.stringify(apiAccessRecord)) + eventOverheadBytes;

/** Overhead per application log line (the line's own bytes are measured). */
export const logEventOverheadBytes = eventOverheadBytes;
