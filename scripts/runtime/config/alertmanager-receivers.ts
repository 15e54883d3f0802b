import { readFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
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
