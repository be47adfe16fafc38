// Preloaded into the fuzzing process (`node --import ./fuzz/preload.ts`), before jazzer.js starts.
//
// 1. Registers ./ts-hooks.ts first, so that jazzer.js's instrumenting hook (registered later, hence
//    asked first) receives JavaScript from it.
// 2. Loads jazzer.js's prebuilt libFuzzer addon on older glibc (Debian 12 ships 2.36). The prebuild
//    asks for GLIBC_2.38 only for __isoc23_strtol/strtoul (C23 strtol, which also accepts "0b", a
//    prefix libFuzzer's flag parser never sees) and for GLIBCXX_3.4.32 only for a symbol GCC 13's
//    <iostream> references to pin the library version and never calls. When the addon fails to load
//    for that reason, a patched copy goes to the temp directory (the two symbols renamed to
//    strtol/strtoul and unversioned, the two version needs marked weak); node_modules is untouched.
//    Where the addon loads as shipped, nothing is patched.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire, register } from 'node:module';

register('./ts-hooks.ts', import.meta.url);

type NodeLoader = (module: unknown, filename: string) => unknown;
const require = createRequire(import.meta.url);
const Module = require('node:module') as { _extensions: Record<string, NodeLoader> };

const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const VER_FLG_WEAK = 0x2;
const RENAME: Record<string, string> = { __isoc23_strtol: 'strtol', __isoc23_strtoul: 'strtoul' };
const UNVERSION = new Set(['_ZSt21ios_base_library_initv']);
const TOO_NEW = new Set(['GLIBC_2.38', 'GLIBCXX_3.4.32']);

function cstr(buf: Buffer, off: number): string {
  return buf.toString('latin1', off, buf.indexOf(0, off));
}

/** Edits the ELF64 little-endian shared object in place (x86-64 Linux only). */
function patchElf(buf: Buffer): Buffer {
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const sections = [];
  for (let i = 0; i < buf.readUInt16LE(0x3c); i++) {
    const h = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(h + 4),
      offset: Number(buf.readBigUInt64LE(h + 24)),
      size: Number(buf.readBigUInt64LE(h + 32)),
      link: buf.readUInt32LE(h + 40),
      info: buf.readUInt32LE(h + 44),
    });
  }
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM)!;
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM)!;
  const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED)!;
  const dynstr = sections[dynsym.link];
  for (let i = 0; i < dynsym.size / 24; i++) {
    const nameOff = dynstr.offset + buf.readUInt32LE(dynsym.offset + i * 24);
    const name = cstr(buf, nameOff);
    const to = RENAME[name];
    if (to === undefined && !UNVERSION.has(name)) continue;
    if (to !== undefined) buf.write(`${to}\0`, nameOff, 'latin1');
    buf.writeUInt16LE(1, versym.offset + i * 2); // VER_NDX_GLOBAL: whichever version the system has
  }
  const vstr = sections[verneed.link];
  let vn = verneed.offset;
  for (let n = 0; n < verneed.info; n++) {
    let aux = vn + buf.readUInt32LE(vn + 8);
    for (let a = 0; a < buf.readUInt16LE(vn + 2); a++) {
      if (TOO_NEW.has(cstr(buf, vstr.offset + buf.readUInt32LE(aux + 8)))) {
        buf.writeUInt16LE(buf.readUInt16LE(aux + 4) | VER_FLG_WEAK, aux + 4);
      }
      aux += buf.readUInt32LE(aux + 12);
    }
    vn += buf.readUInt32LE(vn + 12);
  }
  return buf;
}

const original = Module._extensions['.node'];
Module._extensions['.node'] = (module, filename) => {
  try {
    return original(module, filename);
  } catch (err) {
    if (!/fuzzer-linux-x64\.node$/.test(filename) || !/GLIBC_2\.38|GLIBCXX_3\.4\.32/.test(String(err))) {
      throw err;
    }
    const patched = path.join(os.tmpdir(), `jazzer-compat-${fs.statSync(filename).size}.node`);
    if (!fs.existsSync(patched)) {
      const tmp = `${patched}.${process.pid}`;
      fs.writeFileSync(tmp, patchElf(fs.readFileSync(filename)));
      fs.renameSync(tmp, patched);
    }
    return original(module, patched);
  }
};
