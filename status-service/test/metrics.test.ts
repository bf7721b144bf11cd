import test from 'ava';
import { Registry } from 'prom-client';
import { parseSamples, sampleValue } from 'testkit/prometheus-text';
import { ContainerView } from '../src/container-view.ts';
import { observe } from '../src/docker-watcher.ts';
import { registerStatusMetrics } from '../src/metrics.ts';
import { event, IDS, inspectInfo } from './fixtures.ts';

const read = async (registry: Registry) => parseSamples(await registry.metrics());

test('Docker connection, events seen and containers by app and state follow the live view at each scrape', async (t) => {
  const view = new ContainerView('tcp://docker-api:2375');
  const registry = new Registry();
  registerStatusMetrics(registry, view);

  let samples = await read(registry);
  t.is(sampleValue(samples, 'status_docker_connected'), 0);
  t.is(sampleValue(samples, 'status_docker_events_total'), 0);
  t.is(samples.filter((s) => s.name === 'status_containers').length, 0);

  view.replaceAll([
    observe(inspectInfo({ id: IDS.storage1, number: 1 })),
    observe(inspectInfo({ id: IDS.storage2, number: 2 })),
    observe(inspectInfo({ id: IDS.status, app: 'status', number: 1 })),
  ]);
  view.applyEvent(event(IDS.storage1, 'die', 10, { exitCode: '137' }));
  view.applyEvent(event(IDS.storage1, 'die', 10, { exitCode: '137' }));
  samples = await read(registry);
  t.is(sampleValue(samples, 'status_docker_connected'), 1);
  t.is(sampleValue(samples, 'status_docker_events_total'), 2);
  t.is(sampleValue(samples, 'status_containers', { app: 'storage', state: 'running' }), 1);
  t.is(sampleValue(samples, 'status_containers', { app: 'storage', state: 'exited' }), 1);
  t.is(sampleValue(samples, 'status_containers', { app: 'status', state: 'running' }), 1);

  // A state no container is in any more leaves the series, rather than staying at its last count.
  view.applyEvent(event(IDS.storage1, 'start', 11));
  view.markUnreachable('the Docker API proxy does not answer');
  samples = await read(registry);
  t.is(sampleValue(samples, 'status_docker_connected'), 0);
  t.is(sampleValue(samples, 'status_docker_events_total'), 3);
  t.is(sampleValue(samples, 'status_containers', { app: 'storage', state: 'running' }), 2);
  t.is(sampleValue(samples, 'status_containers', { app: 'storage', state: 'exited' }), undefined);
});
