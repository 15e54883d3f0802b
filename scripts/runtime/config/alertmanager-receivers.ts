import { readFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
import { writeFileAtomic } from './render.ts';

/**
 * compose/alertmanager/alertmanager.yml carries an `sns` receiver (Amazon SNS on LocalStack) and
 * the route to it, written as a user would write them, with LocalStack's network alias as
 * api_url. Only the docker runtime runs LocalStack; elsewhere every critical alert would end in
 * a failed SNS notification (and retries), so the rendered copy drops that route and receiver.
 * One file a user recognises, one small rendering step: no second receiver file to merge.
 */
export const SNS_RECEIVER = 'sns';
/** api_url as written in alertmanager.yml: LocalStack's network alias and port. */
export const SNS_API_URL_AS_WRITTEN = 'http://localstack:4566';

/**
 * @param localstackPeer host:port at which Alertmanager reaches LocalStack (docker: its network
 *   alias, `runtime.peerAddress('localstack')`), or null where LocalStack does not run.
 */
export function renderAlertmanagerReceivers(text: string, localstackPeer: string | null): string {
  if (localstackPeer !== null) return text.split(SNS_API_URL_AS_WRITTEN).join(`http://${localstackPeer}`);
  const doc = parseDocument(text);
  const route = doc.get('route');
  if (isMap(route)) dropRoutesTo(route, SNS_RECEIVER);
  const receivers = doc.get('receivers');
  if (isSeq(receivers)) {
    receivers.items = receivers.items.filter((r) => !(isMap(r) && r.get('name') === SNS_RECEIVER));
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** Removes child routes (at any depth) that deliver to `receiver`; their subtrees go with them. */
function dropRoutesTo(route: YAMLMap, receiver: string): void {
  const routes = route.get('routes');
  if (!isSeq(routes)) return;
  routes.items = routes.items.filter((r) => !(isMap(r) && r.get('receiver') === receiver));
  for (const r of routes.items) if (isMap(r)) dropRoutesTo(r, receiver);
}

/** The rendering step prepareStackConfig runs on the state dir's copy of alertmanager.yml. */
export function renderAlertmanagerReceiversFile(file: string, localstackPeer: string | null): void {
  writeFileAtomic(file, renderAlertmanagerReceivers(readFileSync(file, 'utf8'), localstackPeer));
}

/** Receiver kinds whose URL may point at the sandbox's own receivers, and the key naming it. */
const URL_KEYS: Record<string, string> = { webhook_configs: 'url', slack_configs: 'api_url', pagerduty_configs: 'url' };

/**
 * The sandbox's receivers (notification sink, remediation controller) take the session's token
 * like every control surface: each receiver config whose URL starts with one of their base URLs
 * gets `http_config.authorization` (Bearer), which Alertmanager 0.25 and later send with every
 * delivery. Only the state dir's rendered copy ever holds the token (written 0600), never
 * compose/. Other receivers (SNS, a user's own) are left as they are.
 */
export function addReceiverAuthorization(text: string, sandboxBaseUrls: readonly string[], token: string): string {
  const doc = parseDocument(text);
  let changed = 0;
  const receivers = doc.get('receivers');
  if (isSeq(receivers)) {
    for (const r of receivers.items) {
      if (!isMap(r)) continue;
      for (const [kind, key] of Object.entries(URL_KEYS)) {
        const configs = r.get(kind);
        if (!isSeq(configs)) continue;
        for (const c of configs.items) {
          if (!isMap(c)) continue;
          const url = c.get(key);
          if (typeof url !== 'string' || !sandboxBaseUrls.some((b) => url === b || url.startsWith(`${b}/`))) continue;
          setAuthorization(doc, c, token);
          changed++;
        }
      }
    }
  }
  return changed === 0 ? text : doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function setAuthorization(doc: Document, config: YAMLMap, token: string): void {
  const http = config.get('http_config');
  const auth = doc.createNode({ type: 'Bearer', credentials: token });
  if (isMap(http)) {
    // One credential per client: a bearer token replaces any other way the file named.
    for (const other of ['basic_auth', 'bearer_token', 'bearer_token_file', 'oauth2']) http.delete(other);
    http.set('authorization', auth);
  } else {
    config.set('http_config', doc.createNode({ authorization: { type: 'Bearer', credentials: token } }));
  }
}

/**
 * addReceiverAuthorization on the state dir's alertmanager.yml. Natively the file becomes
 * readable by its owner only (0600). A container's Alertmanager runs as its image's own user
 * (nobody), which must read it through the bind mount: there it is 0644, and the stack directory
 * above it (0700, see session.ts) is what keeps other users of the machine out.
 */
export function addReceiverAuthorizationFile(file: string, sandboxBaseUrls: readonly string[], token: string, mode = 0o600): void {
  writeFileAtomic(file, addReceiverAuthorization(readFileSync(file, 'utf8'), sandboxBaseUrls, token), mode);
}
