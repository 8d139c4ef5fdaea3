/** Progress lines of the benchmark go to stderr; the table and the targets go to stdout. */
export const log = (message: string) => process.stderr.write(`${message}\n`);
