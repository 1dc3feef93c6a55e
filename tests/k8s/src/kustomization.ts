// The fields of a kustomize v5 Kustomization (kustomize.config.k8s.io/v1beta1), after
// sigs.k8s.io/kustomize/api/types/kustomization.go. validate.ts declares k8s/kustomization.yaml as
// a `Kustomization` literal, so tsc --strict rejects any key that is not here (a misspelled key is
// silently ignored by kustomize) and any value of the wrong type. Rarely used structured fields are
// `unknown`: their presence is allowed, their content is left to kustomize.

export type StringMap = { [key: string]: string };

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: StringMap;
  annotations?: StringMap;
}

export interface GeneratorOptions {
  labels?: StringMap;
  annotations?: StringMap;
  disableNameSuffixHash?: boolean;
  immutable?: boolean;
}

export interface GeneratorArgs {
  name?: string;
  namespace?: string;
  behavior?: "create" | "replace" | "merge";
  /** `key=path` or `path`, relative to the kustomization directory */
  files?: string[];
  /** `key=value` */
  literals?: string[];
  /** env files: `KEY=value` lines, `#` comments */
  envs?: string[];
  /** deprecated single env file */
  env?: string;
  options?: GeneratorOptions;
}

export type ConfigMapArgs = GeneratorArgs;

export interface SecretArgs extends GeneratorArgs {
  type?: string;
}

export interface Image {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
  tagSuffix?: string;
}

export interface Replica {
  name: string;
  count: number;
}

export interface Label {
  pairs?: StringMap;
  includeSelectors?: boolean;
  includeTemplates?: boolean;
  fields?: unknown[];
}

export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export interface Patch {
  path?: string;
  patch?: string;
  target?: Selector;
  options?: { [option: string]: boolean };
}

export interface SortOptions {
  order?: "legacy" | "fifo";
  legacySortOptions?: { orderFirst?: string[]; orderLast?: string[] };
}

export interface Kustomization {
  apiVersion?: "kustomize.config.k8s.io/v1beta1";
  kind?: "Kustomization";
  metadata?: ObjectMeta;
  openapi?: StringMap;

  namePrefix?: string;
  nameSuffix?: string;
  namespace?: string;
  commonLabels?: StringMap;
  labels?: Label[];
  commonAnnotations?: StringMap;

  patches?: Patch[];
  patchesStrategicMerge?: string[];
  patchesJson6902?: Patch[];
  images?: Image[];
  replacements?: unknown[];
  replicas?: Replica[];
  vars?: unknown[];
  sortOptions?: SortOptions;

  resources?: string[];
  components?: string[];
  crds?: string[];
  bases?: string[];

  configMapGenerator?: ConfigMapArgs[];
  secretGenerator?: SecretArgs[];
  helmGlobals?: unknown;
  helmCharts?: unknown[];
  helmChartInflationGenerator?: unknown[];
  generatorOptions?: GeneratorOptions;

  configurations?: string[];
  generators?: string[];
  transformers?: string[];
  validators?: string[];
  buildMetadata?: Array<"managedByLabel" | "originAnnotations" | "transformerAnnotations">;
}
