// Prints one plain closing line for the whole run ("tests: N passed, N failed, N skipped") after Jest's own summary,
// so logs and CI can read the outcome without parsing Jest's table.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
