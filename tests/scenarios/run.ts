import { readScenarioFile } from '../../local/scenario.ts';
import { simulate, type SimulationReport } from '../../local/simulate.ts';
import type { EniResult } from '../../src/mirroring/types.ts';
import type { AppliedAction } from '../../src/mirroring/apply.ts';

/** A scenario of scenarios/ as `autotap simulate` runs it, with its own configuration. */
export async function runScenario(name: string): Promise<SimulationReport> {
  const scenario = readScenarioFile(new URL(`../../scenarios/${name}`, import.meta.url).pathname);
  if (!scenario.config) throw new Error(`${name} must embed its config`);
  return simulate(scenario, scenario.config);
}

/** The per-ENI results of every mirror-instances execution. */
export const results = (report: SimulationReport): EniResult[] =>
  report.executions.flatMap((e) => (e.output as { results?: EniResult[] } | null)?.results ?? []);

/** The actions of the reconcile or cleanup-sessions execution at `index`. */
export const actions = (report: SimulationReport, index: number): AppliedAction[] =>
  (report.executions[index]?.output as { actions: AppliedAction[] }).actions;

export const autotapSessions = (report: SimulationReport) =>
  report.sessions.filter((s) => s.tags['autotap:managed'] === 'true');
