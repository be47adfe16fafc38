// Messages between the main thread and the compile worker (compile-worker.ts).
import type { NameBlock, NamePart } from '../match/name-table.ts';
import type { ParsedData } from '../parse/parsed-data.ts';
import type { ListFileJob } from '../sources/list-file.ts';

export type WorkerJob =
  | ({ readonly kind: 'list-file' } & ListFileJob)
  | { readonly kind: 'table'; readonly parts: readonly NamePart[] };

export interface WorkerRequest {
  readonly id: number;
  readonly job: WorkerJob;
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly kind: 'table'; readonly block: NameBlock }
  | {
      readonly id: number;
      readonly ok: true;
      readonly kind: 'list-file';
      readonly data: ParsedData;
      readonly warning?: string;
    }
  | { readonly id: number; readonly ok: false; readonly error: string };
