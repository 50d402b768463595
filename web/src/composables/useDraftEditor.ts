/**
 * The editor's copy of a group's draft pipeline. Edits apply locally at once and are saved as the
 * whole document after a short pause (several quick edits become one save), each save carrying the
 * revision it was based on. A draft that arrives from the server (another editor's change, a
 * publish, a discard) replaces the local copy unless edits are waiting to be saved. A conflict
 * (someone else saved first) keeps the local edits, says who changed the draft, and adopts the
 * server's draft on the next arrival.
 */
import { computed, onScopeDispose, ref, shallowRef, type Ref } from 'vue';
import type { GraphComponent, GraphProblem } from '../lib/pipeline-graph.ts';
import { problemsAfterEdit } from '../lib/pipeline-problems.ts';

/** A draft as the server describes it. */
export interface ServerDraft {
  revision: number;
  components: GraphComponent[];
  problems: GraphProblem[];
}

/** What one save came to: the stored draft, or a failure in words (and the code, e.g. `draft_conflict`). */
export type SaveOutcome =
  { ok: true; draft: ServerDraft } | { ok: false; message: string; code: string | null };

/** The error code of a save based on a stale revision. */
export const CONFLICT = 'draft_conflict';

export interface DraftEditorOptions {
  /** Save `components` as the whole draft document, based on `revision`. Never rejects. */
  save(components: GraphComponent[], revision: number): Promise<SaveOutcome>;
  /** Pause after the last edit before saving (ms). */
  delayMs?: number;
}

export interface DraftEditor {
  components: Readonly<Ref<GraphComponent[]>>;
  problems: Readonly<Ref<GraphProblem[]>>;
  /** The revision the next save is based on (send it with publish and discard too). */
  revision: Readonly<Ref<number>>;
  /** Edits not yet stored (waiting or in flight). */
  saving: Readonly<Ref<boolean>>;
  /** The last save's failure in words (null after a successful save). */
  error: Readonly<Ref<string | null>>;
  /** Apply an edit locally and save it soon. */
  edit(components: GraphComponent[]): void;
  /** Save waiting edits now; resolves when stored (or failed). */
  flush(): Promise<void>;
  /** Take the server's draft (or the published components and revision when there is none). */
  receive(draft: ServerDraft): void;
}

/** Start an editor; call in setup (timers stop with the scope). */
export function useDraftEditor(options: DraftEditorOptions): DraftEditor {
  const delayMs = options.delayMs ?? 400;
  const components = shallowRef<GraphComponent[]>([]);
  const problems = shallowRef<GraphProblem[]>([]);
  const error = ref<string | null>(null);
  const dirty = ref(false);
  const inFlight = ref<Promise<void> | null>(null);
  const revision = ref(0);
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function saveNow(): Promise<void> {
    clearTimeout(timer);
    if (inFlight.value) await inFlight.value;
    if (!dirty.value) return;
    dirty.value = false;
    const sent = components.value;
    const run = (async () => {
      const outcome = await options.save(sent, revision.value);
      if (outcome.ok) {
        revision.value = outcome.draft.revision;
        problems.value = outcome.draft.problems;
        error.value = null;
      } else {
        error.value = outcome.message;
        if (outcome.code !== CONFLICT) dirty.value = true;
      }
    })();
    inFlight.value = run;
    await run;
    inFlight.value = null;
  }

  onScopeDispose(() => clearTimeout(timer));

  return {
    components,
    problems,
    revision,
    saving: computed(() => dirty.value || inFlight.value !== null),
    error,
    edit(next) {
      problems.value = problemsAfterEdit(problems.value, components.value, next);
      components.value = next;
      dirty.value = true;
      clearTimeout(timer);
      timer = setTimeout(() => void saveNow(), delayMs);
    },
    flush: saveNow,
    receive(draft) {
      if (dirty.value || inFlight.value) return;
      revision.value = draft.revision;
      components.value = draft.components;
      problems.value = draft.problems;
    },
  };
}
