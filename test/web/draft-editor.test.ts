/**
 * The editor's copy of a draft: quick edits become one save carrying the revision; the stored
 * draft's revision and problems are taken; server drafts replace the copy only when nothing waits
 * to be saved; a conflict keeps the edits on screen, says so, and lets the next server draft in.
 */
import { effectScope } from 'vue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONFLICT, useDraftEditor, type SaveOutcome } from '../../web/src/composables/useDraftEditor.ts';
import type { GraphComponent } from '../../web/src/lib/pipeline-graph.ts';

const source = (id: string): GraphComponent => ({
  id,
  kind: 'source',
  type: 'demo_logs',
  options: {},
  inputs: [],
  enabled: true,
  platforms: ['linux'],
});

function editorWith(answer: (components: GraphComponent[], revision: number) => SaveOutcome) {
  const saves: { ids: string[]; revision: number }[] = [];
  const scope = effectScope();
  const editor = scope.run(() =>
    useDraftEditor({
      delayMs: 100,
      save: (components, revision) => {
        saves.push({ ids: components.map((c) => c.id), revision });
        return Promise.resolve(answer(components, revision));
      },
    }),
  );
  if (!editor) throw new Error('no editor');
  return { editor, saves, stop: () => scope.stop() };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('draft editor', () => {
  it('clears a problem as soon as its field is edited, keeping the others until the save answers', async () => {
    const { editor, stop } = editorWith((components) => ({
      ok: true,
      draft: { revision: 1, components, problems: [] },
    }));
    const sink: GraphComponent = { ...source('out'), kind: 'sink', type: 'console', inputs: ['a'] };
    editor.receive({
      revision: 0,
      components: [source('a'), sink],
      problems: [
        { component: 'out', field: 'encoding.codec', message: 'missing field `codec`', severity: 'error' },
        { component: 'out', field: 'inputs', message: 'unknown input', severity: 'error' },
        { component: 'a', field: null, message: 'no consumer', severity: 'warning' },
        { component: null, field: null, message: 'no sinks', severity: 'warning' },
      ],
    });
    editor.edit([source('a'), { ...sink, options: { encoding: { codec: 'json' } } }]);
    expect(editor.problems.value.map((p) => p.message)).toEqual(['unknown input', 'no consumer', 'no sinks']);
    editor.edit([
      { ...source('a'), id: 'b' },
      { ...sink, options: { encoding: { codec: 'json' } } },
    ]);
    expect(editor.problems.value.map((p) => p.message)).toEqual(['unknown input', 'no sinks']);
    await vi.runAllTimersAsync();
    expect(editor.problems.value).toEqual([]);
    stop();
  });

  it('saves quick edits once, with the revision it was based on, and takes the answer', async () => {
    const { editor, saves, stop } = editorWith((components, revision) => ({
      ok: true,
      draft: { revision: revision + 1, components, problems: [{ message: 'No sinks.', severity: 'error' }] },
    }));
    editor.receive({ revision: 4, components: [], problems: [] });
    editor.edit([source('a')]);
    editor.edit([source('a'), source('b')]);
    expect(editor.saving.value).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(saves).toEqual([{ ids: ['a', 'b'], revision: 4 }]);
    expect(editor.saving.value).toBe(false);
    expect(editor.problems.value).toHaveLength(1);
    editor.edit([source('c')]);
    await editor.flush();
    expect(saves[1]).toEqual({ ids: ['c'], revision: 5 });
    stop();
  });

  it('keeps local edits over a server draft until they are stored', async () => {
    const { editor, stop } = editorWith((components, revision) => ({
      ok: true,
      draft: { revision: revision + 1, components, problems: [] },
    }));
    editor.edit([source('mine')]);
    editor.receive({ revision: 9, components: [source('theirs')], problems: [] });
    expect(editor.components.value.map((c) => c.id)).toEqual(['mine']);
    await editor.flush();
    editor.receive({ revision: 9, components: [source('theirs')], problems: [] });
    expect(editor.components.value.map((c) => c.id)).toEqual(['theirs']);
    stop();
  });

  it('reports a conflict and lets the next server draft replace the edits', async () => {
    const { editor, stop } = editorWith(() => ({
      ok: false,
      code: CONFLICT,
      message: 'The draft was changed by ana@example.com; reload it.',
    }));
    editor.edit([source('mine')]);
    await editor.flush();
    expect(editor.error.value).toContain('ana@example.com');
    expect(editor.saving.value).toBe(false);
    editor.receive({ revision: 3, components: [source('theirs')], problems: [] });
    expect(editor.components.value.map((c) => c.id)).toEqual(['theirs']);
    stop();
  });
});
