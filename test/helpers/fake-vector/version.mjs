// The Vector version the stand-in impersonates, and the behaviour switches that depend on it.
import { arch } from 'node:process';
import { io } from './io.mjs';

const DEFAULT_VERSION = '0.58.0';
/** What release builds put after the target triple: `<git short sha> <build date-time>`. */
export const BUILD_DESCRIPTION = 'c3445d4 2026-08-21 09:14:31.512845066';

/** The impersonated version: FAKE_VECTOR_VERSION when set, else 0.58.0 (the reference's snapshot). */
export function vectorVersion() {
  return io().env.FAKE_VECTOR_VERSION?.trim() || DEFAULT_VERSION;
}

/** True when the impersonated version is at least `min` ("x.y.z"); an unparseable version counts as the default. */
export function versionAtLeast(min) {
  const have = parse(vectorVersion()) ?? parse(DEFAULT_VERSION);
  const want = parse(min);
  for (let i = 0; i < 3; i += 1) {
    if (have[i] !== want[i]) return have[i] > want[i];
  }
  return true;
}

/** The CPU part of Rust's target triple for this machine, e.g. `x86_64`. */
export function cpuArch() {
  return { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7', ia32: 'i686' }[arch] ?? arch;
}

/** The `vector --version` line of a release build: `vector <v> (<triple> <sha> <build date-time>)`. */
export function versionLine() {
  return `vector ${vectorVersion()} (${cpuArch()}-unknown-linux-gnu ${BUILD_DESCRIPTION})`;
}

function parse(version) {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? match.slice(1, 4).map(Number) : undefined;
}
