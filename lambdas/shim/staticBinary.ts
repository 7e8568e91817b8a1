import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The shim must run in images with no libc at all (FROM scratch): a dynamically linked busybox
 * would fail there with a baffling "no such file". An ELF with a PT_INTERP header is dynamic.
 * Returns what is wrong with the file's first 4 KiB, or undefined when it is a static ELF.
 */
export function staticBinaryProblem(path: string, header: Buffer): string | undefined {
  if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46) return `${path} is not an ELF binary`;
  const is64 = header[4] === 2;
  const phoff = Number(is64 ? header.readBigUInt64LE(0x20) : header.readUInt32LE(0x1c));
  const phentsize = header.readUInt16LE(is64 ? 0x36 : 0x2a);
  const phnum = header.readUInt16LE(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > header.length) break;
    if (header.readUInt32LE(at) === 3 /* PT_INTERP */)
      return `${path} is dynamically linked; runlater's shim needs a static busybox (busybox-static)`;
  }
  return undefined;
}

export function missingBusyboxMessage(path: string): string {
  return `runlater needs a static busybox at ${path} for its stdin shim (Debian/Ubuntu: apt-get install busybox-static; or set RUNLATER_BUSYBOX)`;
}

/** The synchronous check, for `cdk synth` staging the init image. */
export function assertStaticBinarySync(path: string): void {
  const header = Buffer.alloc(4096);
  let read = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      read = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    throw new Error(missingBusyboxMessage(path));
  }
  const problem = staticBinaryProblem(path, header.subarray(0, read));
  if (problem) throw new Error(problem);
}
