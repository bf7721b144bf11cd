/** Start-up failures are the operator's to fix: one plain line on stderr and a non-zero exit, no stack. */
export function exitWith(service: string, message: string): never {
  process.stderr.write(`${service}: ${message}\n`);
  process.exit(1);
}
