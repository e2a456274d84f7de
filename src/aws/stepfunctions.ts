import { paginateListStateMachines, SFNClient } from '@aws-sdk/client-sfn';
import { permitted } from './permissions.ts';

let shared: { endpoint: string | undefined; client: SFNClient } | undefined;
/** One client per process, as in ec2.ts. */
export function stepFunctionsClient(): SFNClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_SFN ?? process.env.AWS_ENDPOINT_URL;
  if (!shared || shared.endpoint !== endpoint) shared = { endpoint, client: new SFNClient({}) };
  return shared.client;
}

/** Names of the account's state machines in this region. */
export async function listStateMachineNames(client = stepFunctionsClient()): Promise<string[]> {
  return permitted('states:ListStateMachines', async () => {
    const names: string[] = [];
    for await (const page of paginateListStateMachines({ client }, {})) names.push(...(page.stateMachines ?? []).flatMap((m) => (m.name ? [m.name] : [])));
    return names;
  });
}
