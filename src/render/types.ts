// Shared vocabulary of the renderers. Everything here is data: renderers are pure functions
// of (plan, options, compiled templates), so the same plan always gives the same bytes.

/** How a server line names a server whose address is its host's (AddressRef kind 'host'). */
export type HostAddressing =
  /** `${ZOOKEEPER_1}`: the form the Aliyun console and compose v1 understand */
  | 'variable'
  /** `${ZOOKEEPER_1:?…}`: compose-spec / stack files refuse to deploy with the variable unset */
  | 'required-variable'
  /** the address itself (a --set override wins over the inventory) */
  | 'resolved';

export interface Addressing {
  hostAddress: HostAddressing;
  /** variable → address, from --set */
  overrides: Record<string, string>;
  /** variable → host name, for the error text of 'required-variable' */
  hostNames?: Record<string, string>;
  /**
   * Applied to addresses written out (never to the `${VAR}` forms): compose files escape a
   * literal `$` as `$$`. Identity when absent.
   */
  literal?: (value: string) => string;
}

export interface RenderOptions {
  /** variable → address overrides (`--set ZOOKEEPER_1=10.0.0.5`) */
  set: Record<string, string>;
  /** write addresses instead of `${ZOOKEEPER_k}` variables */
  resolve: boolean;
}

export interface RenderedFile {
  /** relative to the output directory of one ensemble */
  path: string;
  content: string;
  /** file mode, e.g. 0o755 for scripts; default is the writer's */
  mode?: number;
}

/** Beside a rendered compose file: one directory per server of a secured ensemble, with its key material and JAAS file (render -o DIR/ writes them). */
export const SECRETS_DIR = 'secrets';

export const TARGET_NAMES = [
  'aliyun',
  'swarm',
  'compose-bridge',
  'compose-links',
  'compose-static-ip',
  'run-scripts',
] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export const TEMPLATE_NAMES = ['aliyun', 'swarm', 'compose', 'run-script', 'env'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** A compiled template: view model in, text out. */
export type Template = (view: object) => string;
export type Templates = Readonly<Record<TemplateName, Template>>;
