import { metrics } from '../../../lib/metrics';
import { activeStreams, registerPipeline } from '../../../lib/pipeline/live-pipelines';

const gauge = async () => (await metrics.streamsActive.get()).values[0]?.value;

test('k2_streams_active follows the pipelines registered in this process', async () => {
  expect(activeStreams()).toBe(0);
  const first = registerPipeline({});
  const second = registerPipeline({});
  expect(activeStreams()).toBe(2);
  expect(await gauge()).toBe(2);
  first();
  expect(await gauge()).toBe(1);
  second();
  expect(activeStreams()).toBe(0);
  expect(await gauge()).toBe(0);
});
