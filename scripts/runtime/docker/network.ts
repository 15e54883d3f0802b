import { getReaper, LABEL_TESTCONTAINERS_SESSION_ID, randomUuid, StartedNetwork, type ContainerRuntimeClient } from 'testcontainers';

/** The label every sandbox run carries (session.ts); the network's name follows it. */
const SESSION_LABEL = 'org.observability-sandbox.session';

/** What the engine is asked to create (POST /networks/create), as plain data for unit tests. */
export interface NetworkPlan {
  Name: string;
  CheckDuplicate: boolean;
  Driver: 'bridge';
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  EnableIPv6: boolean;
  Labels: Record<string, string>;
}

/**
 * The sandbox's bridge network (Docker Desktop): what testcontainers' own `new Network()`
 * creates, plus the sandbox run's labels, which testcontainers' Network cannot set. So `down`,
 * the next command and the reaper process find it by label as they find the containers, with or
 * without Ryuk; where Ryuk runs, it still finds it by testcontainers' session label.
 */
export function sandboxNetworkPlan(labels: Readonly<Record<string, string>>, testcontainersSession: string, uuid: () => string = randomUuid): NetworkPlan {
  const session = labels[SESSION_LABEL];
  return {
    // Readable in `docker network ls`; unique per sandbox run.
    Name: session ? `observability-sandbox-${session}` : `observability-sandbox-${uuid()}`,
    CheckDuplicate: true,
    Driver: 'bridge',
    Internal: false,
    Attachable: false,
    Ingress: false,
    EnableIPv6: false,
    Labels: { 'org.testcontainers': 'true', [LABEL_TESTCONTAINERS_SESSION_ID]: testcontainersSession, ...labels },
  };
}

/** Creates the network and hands it back as testcontainers' StartedNetwork (containers join it by that). */
export async function startSandboxNetwork(client: ContainerRuntimeClient, labels: Readonly<Record<string, string>>): Promise<StartedNetwork> {
  // As Network.start(): the session id ties the network to testcontainers' reaper (Ryuk) where it runs.
  const reaper = await getReaper(client);
  const plan = sandboxNetworkPlan(labels, reaper.sessionId);
  const network = await client.network.create(plan);
  return new StartedNetwork(client, plan.Name, network);
}
