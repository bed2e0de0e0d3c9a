import type { EnsemblePlan } from '../../plan/types.js';
import type { TargetRules } from '../check.js';
import type { RenderedFile, RenderOptions, TargetName, Templates } from '../types.js';

export interface Target extends TargetRules {
  name: TargetName;
  /** one line for `zkplan render --help` */
  summary: string;
  /** called only after the rules and the --set keys were checked */
  render(ensemble: EnsemblePlan, options: RenderOptions, templates: Templates): RenderedFile[];
}

/** `{key, value}` rows for a template: Handlebars iterates arrays of objects most clearly. */
export function rows(pairs: readonly (readonly [string, string])[]): { key: string; value: string }[] {
  return pairs.map(([key, value]) => ({ key, value }));
}
