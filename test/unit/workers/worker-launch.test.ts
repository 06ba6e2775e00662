import { ConfigError, loadConfig } from '../../../lib/config';
import { missingBounds, processBounds, streamWorkerCommand } from '../../../workers/worker-launch';

describe('worker memory bounds', () => {
  const bounds = processBounds(loadConfig({}));

  test('the defaults become node flags and environment', () => {
    expect(bounds).toEqual({
      nodeFlags: ['--max-old-space-size=128', '--max-semi-space-size=4'],
      env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' },
    });
    const c = loadConfig({});
    expect({ threads: c.workflow_thread_pool_size, cached: c.max_cached_workflows, bundle: c.workflow_bundle_path }).toEqual({ threads: 1, cached: 100, bundle: undefined });
  });

  test('a process started without them misses all; with them, none', () => {
    expect(missingBounds(bounds, [], {})).toEqual(['--max-old-space-size=128', '--max-semi-space-size=4', 'MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=131072']);
    expect(missingBounds(bounds, ['--max-old-space-size=128', '--max-semi-space-size=4'], { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' })).toEqual([]);
  });

  test('NODE_OPTIONS counts, and the last value of a flag is the one in effect', () => {
    const env = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', NODE_OPTIONS: '--max-old-space-size=128 --max-semi-space-size=4' };
    expect(missingBounds(bounds, [], env)).toEqual([]);
    // The command line comes after NODE_OPTIONS.
    expect(missingBounds(bounds, ['--max-old-space-size=4096'], env)).toEqual(['--max-old-space-size=128']);
    expect(missingBounds(bounds, ['--max-old-space-size=64', '--max-old-space-size=128', '--max-semi-space-size=4'], env)).toEqual([]);
    expect(missingBounds(bounds, [], { ...env, MALLOC_ARENA_MAX: '8' })).toEqual(['MALLOC_ARENA_MAX=2']);
  });

  test('spawners get the worker entry with the flags before it and the environment merged', () => {
    const cmd = streamWorkerCommand(loadConfig({ WORKER_HEAP_MB: '200', MALLOC_ARENA_MAX: '1' }), { KEEP: 'me' });
    expect(cmd.command).toBe(process.execPath);
    expect(cmd.args).toEqual(['--max-old-space-size=200', '--max-semi-space-size=4', expect.stringMatching(/dist[/\\]workers[/\\]stream-worker\.js$/)]);
    expect(cmd.env).toEqual({ KEEP: 'me', MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '131072' });
  });

  test('a bad bound stops start-up naming the setting', () => {
    expect(() => loadConfig({ WORKER_HEAP_MB: '10' })).toThrow(ConfigError);
    expect(() => loadConfig({ WORKER_HEAP_MB: '10' })).toThrow(/worker_heap_mb \(env WORKER_HEAP_MB\).*got "10"/);
    expect(() => loadConfig({ WORKER_SEMI_SPACE_MB: '0' })).toThrow(/worker_semi_space_mb/);
    expect(() => loadConfig({ MALLOC_ARENA_MAX: '0' })).toThrow(/malloc_arena_max/);
    expect(() => loadConfig({ WORKFLOW_THREAD_POOL_SIZE: '0' })).toThrow(/workflow_thread_pool_size/);
    expect(() => loadConfig({ MAX_CACHED_WORKFLOWS: '-1' })).toThrow(/max_cached_workflows/);
  });
});
