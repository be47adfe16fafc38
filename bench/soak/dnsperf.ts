// Runs dnsperf against banwall on loopback and reads its summary.
import { spawn } from 'node:child_process';

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  raw: string;
}

export function dnsperf(port: number, file: string, args: string[]): Promise<DnsperfResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('dnsperf', [
      '-s',
      '127.0.0.1',
      '-p',
      String(port),
      '-d',
      file,
      '-c',
      '4',
      '-t',
      '3',
      ...args,
    ]);
    let raw = '';
    child.stdout.on('data', (d: Buffer) => (raw += d.toString()));
    child.stderr.on('data', (d: Buffer) => (raw += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const num = (re: RegExp) => Number(re.exec(raw)?.[1] ?? NaN);
      resolve({
        sent: num(/Queries sent:\s+(\d+)/),
        completed: num(/Queries completed:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        qps: num(/Queries per second:\s+([\d.]+)/),
        raw,
      });
    });
  });
}
