// deploy/kubernetes/ against the Kubernetes API schemas (kubernetes-models, compiled from the
// Kubernetes OpenAPI) and the Prometheus Operator CRD schema (@kubernetes-models/prometheus-operator)
// for the ServiceMonitor; then the references between the manifests, and the ConfigMap's banwall.yaml
// against banwall's own config schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { parseConfig } from '../../src/config/load.ts';
import { HttpAccess } from '../../src/api/access.ts';
import { admitted } from '../helpers/http-access.ts';
import { ROOT } from '../helpers/banwall.ts';

const DIR = path.join(ROOT, 'deploy/kubernetes');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [k: string]: unknown;
}

type Model = new (data: unknown) => { validate(): void };

/** The model class for an apiVersion/kind: core `v1` → kubernetes-models/v1, `apps/v1` → .../apps/v1. */
async function modelFor(apiVersion: string, kind: string): Promise<Model> {
  const mod = apiVersion.startsWith('monitoring.coreos.com/')
    ? ((await import(`@kubernetes-models/prometheus-operator/${apiVersion}`)) as Record<string, Model>)
    : ((await import(`kubernetes-models/${apiVersion}`)) as Record<string, Model>);
  const model = mod[kind];
  assert.ok(model, `no schema for ${apiVersion} ${kind}`);
  return model;
}

async function manifests(): Promise<{ file: string; doc: Manifest }[]> {
  const out: { file: string; doc: Manifest }[] = [];
  for (const file of (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).sort()) {
    if (file === 'kustomization.yaml') continue;
    for (const d of parseAllDocuments(await readFile(path.join(DIR, file), 'utf8'))) {
      assert.equal(d.errors.length, 0, `${file}: ${d.errors.join('; ')}`);
      const doc = d.toJS() as Manifest | null;
      if (doc) out.push({ file, doc });
    }
  }
  return out;
}

function find(all: { doc: Manifest }[], kind: string, name: string): Manifest {
  const m = all.find((x) => x.doc.kind === kind && x.doc.metadata.name === name)?.doc;
  assert.ok(m, `${kind}/${name} missing`);
  return m;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

void test('every manifest validates against its API schema', async () => {
  const all = await manifests();
  assert.ok(all.length >= 7, `only ${all.length} manifests`);
  for (const { file, doc } of all) {
    const Model = await modelFor(doc.apiVersion, doc.kind);
    assert.doesNotThrow(() => new Model(doc).validate(), `${file}: ${doc.kind}/${doc.metadata.name}`);
  }
  // The check is not vacuous: a wrong type and a missing required field are refused.
  const deployment = find(all, 'Deployment', 'banwall');
  const Deployment = await modelFor('apps/v1', 'Deployment');
  assert.throws(() =>
    new Deployment({ ...deployment, spec: { ...deployment.spec, replicas: 'three' } }).validate(),
  );
  const ServiceMonitor = await modelFor('monitoring.coreos.com/v1', 'ServiceMonitor');
  assert.throws(() => new ServiceMonitor({ metadata: { name: 'x' }, spec: { endpoints: [] } }).validate());
});

void test('kustomization lists every manifest', async () => {
  const k = parse(await readFile(path.join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const files = (await readdir(DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  assert.deepEqual([...k.resources].sort(), files.sort());
});

void test('Services, PDB and ServiceMonitor select the pods and ports that exist', async () => {
  const all = await manifests();
  const deployment = find(all, 'Deployment', 'banwall') as Manifest & {
    spec: {
      replicas: number;
      selector: { matchLabels: Record<string, string> };
      template: {
        metadata: { labels: Record<string, string> };
        spec: {
          containers: {
            ports: { name: string; containerPort: number; protocol: string }[];
            readinessProbe: { httpGet: { path: string; port: string } };
            livenessProbe: { httpGet: { path: string; port: string } };
            resources: { requests: Record<string, string> };
            securityContext: {
              allowPrivilegeEscalation: boolean;
              capabilities: { drop: string[]; add: string[] };
            };
          }[];
          securityContext: { runAsNonRoot: boolean };
          topologySpreadConstraints: { topologyKey: string }[];
        };
      };
    };
  };
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const ports = new Map(container.ports.map((p) => [p.name, p]));
  assert.ok(deployment.spec.replicas >= 2, 'several replicas');
  assert.ok(matches(deployment.spec.selector.matchLabels, pod.metadata.labels));
  assert.ok(pod.spec.topologySpreadConstraints.some((t) => t.topologyKey === 'kubernetes.io/hostname'));
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  assert.ok(ports.has(container.readinessProbe.httpGet.port));
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
  assert.equal(pod.spec.securityContext.runAsNonRoot, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);

  for (const { doc } of all.filter((x) => x.doc.kind === 'Service')) {
    const spec = doc.spec as {
      selector: Record<string, string>;
      ports: { name: string; targetPort: string; protocol: string }[];
    };
    assert.ok(matches(spec.selector, pod.metadata.labels), `${doc.metadata.name} selects the pods`);
    for (const p of spec.ports) {
      const target = ports.get(p.targetPort);
      assert.ok(target, `${doc.metadata.name}: no container port ${p.targetPort}`);
      assert.equal(target.protocol, p.protocol, `${doc.metadata.name}: ${p.name} protocol`);
    }
  }
  const dns = find(all, 'Service', 'banwall-dns').spec as { ports: { port: number; protocol: string }[] };
  assert.ok(dns.ports.some((p) => p.port === 53 && p.protocol === 'UDP'));
  assert.ok(dns.ports.some((p) => p.port === 53 && p.protocol === 'TCP'));
  find(all, 'Service', 'banwall-proxy');

  const pdb = find(all, 'PodDisruptionBudget', 'banwall').spec as {
    selector: { matchLabels: Record<string, string> };
  };
  assert.ok(matches(pdb.selector.matchLabels, pod.metadata.labels));

  const sm = find(all, 'ServiceMonitor', 'banwall').spec as {
    selector: { matchLabels: Record<string, string> };
    endpoints: { port: string; path: string }[];
  };
  const metricsSvc = all.find(
    (x) => x.doc.kind === 'Service' && matches(sm.selector.matchLabels, x.doc.metadata.labels),
  )?.doc;
  assert.ok(metricsSvc, 'ServiceMonitor selects a Service');
  const svcPorts = (metricsSvc.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
  assert.ok(svcPorts.includes(sm.endpoints[0].port));
  assert.equal(sm.endpoints[0].path, '/metrics');
});

void test("the ConfigMap's banwall.yaml passes banwall's config schema and matches the pod", async () => {
  const all = await manifests();
  const cm = find(all, 'ConfigMap', 'banwall');
  const cfg = parseConfig(cm.data!['banwall.yaml'], 'configmap.yaml#banwall.yaml');
  const pod = (
    find(all, 'Deployment', 'banwall').spec as {
      template: { spec: { containers: { ports: { containerPort: number }[] }[] } };
    }
  ).template.spec.containers[0];
  const containerPorts = new Set(pod.ports.map((p) => p.containerPort));
  const bound = [
    ...cfg.dns.listen,
    ...(cfg.dns.dot?.listen ?? []),
    ...(cfg.dns.doh?.listen ?? []),
    ...(cfg.proxy?.listen ?? []),
    ...cfg.http.listen,
  ];
  for (const l of bound) assert.ok(containerPorts.has(l.port), `port ${l.port} is not a containerPort`);
  // Relative list sources must be keys of the same ConfigMap (that is where they are mounted).
  for (const src of [...cfg.lists.map((l) => l.source), ...cfg.allow.map((a) => a.source)]) {
    if (src === undefined || src.startsWith('/') || src.startsWith('https://')) continue;
    assert.ok(cm.data![src] !== undefined, `${src} is not in the ConfigMap`);
  }
  // Absolute list sources point into the image: the curated lists must exist in the repository.
  for (const l of cfg.lists.filter((x) => x.source.startsWith('/opt/banwall/'))) {
    await readFile(path.join(ROOT, l.source.replace('/opt/banwall/', '')));
  }
});

void test("the kubelet's probes and Prometheus's scrape pass the HTTP listener's checks; the API does not", async () => {
  const cm = find(await manifests(), 'ConfigMap', 'banwall');
  const cfg = parseConfig(cm.data!['banwall.yaml'], 'configmap.yaml#banwall.yaml');
  const access = new HttpAccess(cfg.http, cfg.proxy?.allowedClients);
  const pod = '10.244.1.7';
  // kubelet httpGet: from the node's address (or a pod-network address on some CNIs), Host = pod IP.
  for (const [from, to] of [
    ['10.0.0.5', pod],
    ['10.244.1.1', pod],
    ['192.168.10.4', '192.168.77.9'],
    ['100.64.3.2', '100.64.9.9'],
  ]) {
    assert.equal(admitted(access, 'probe', from, to, { host: `${to}:9153` }), 200, from);
    assert.notEqual(admitted(access, 'read', from, to, { host: `${to}:9153` }), 200, `${from} reads /api/`);
  }
  // Through the Service's name, from the pod network.
  assert.equal(admitted(access, 'probe', '10.244.2.3', pod, { host: 'banwall-http.banwall.svc:9153' }), 200);
  // kubectl port-forward and exec arrive over the pod's loopback.
  assert.equal(admitted(access, 'read', '127.0.0.1', '127.0.0.1', { host: 'localhost:9153' }), 200);
});
