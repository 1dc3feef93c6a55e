/**
 * Offline validation of a directory of Kubernetes manifests (k8s/), no cluster needed.
 *
 *   node dist/validate.js DIR        (validate.sh runs this after yamllint)
 *
 * For every document of every DIR/*.yaml (except the kustomization):
 *  1. YAML: parsed as YAML 1.1 like Kubernetes does (`yes` is a boolean), duplicate keys refused;
 *  2. schema: the kubernetes-models class of its apiVersion/kind (`new StatefulSet(doc).validate()`),
 *     i.e. the Kubernetes OpenAPI schema compiled to ajv: types, enums, required fields, formats;
 *  3. strict: the document becomes a typed literal (`const m0: IStatefulSet = {...}`) in a generated
 *     TypeScript file that the TypeScript compiler checks with --strict. Object literals get
 *     excess-property checks at every depth, so an unknown or misspelled field anywhere
 *     (`replicaz`, `terminationGracePeriodSecond`) fails, which the OpenAPI schema alone (no
 *     additionalProperties: false) lets through and the API server would silently drop.
 * DIR/kustomization.yaml: strict-checked against the Kustomization type in kustomization.ts (known
 * keys and their types), its resources and generator sources must exist, and every manifest in
 * DIR must be listed in its resources.
 *
 * Every problem is one line `FILE:LINE:COL: [check] Kind/name: field.path: message`, pointing at
 * the YAML source. Exit 0 = valid, 1 = problems found, 2 = the validator itself could not run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { Document, LineCounter, isMap, isScalar, isSeq, parseAllDocuments } from "yaml";

type Segment = string | number;

interface Loaded {
  /** the file as printed: DIR/name.yaml */
  shown: string;
  /** 0-based index of the document in its file */
  index: number;
  doc: Document.Parsed;
  lines: LineCounter;
  data: unknown;
  /** "StatefulSet/cachecluster" (or "kustomization") */
  subject: string;
}

interface Problem {
  shown: string;
  line: number;
  col: number;
  check: "yaml" | "schema" | "strict" | "kustomization";
  text: string;
}

const problems: Problem[] = [];
const toolDir = path.resolve(__dirname, "..");
const kmRoot = path.dirname(require.resolve("kubernetes-models"));

function report(l: Loaded, segs: Segment[], check: Problem["check"], message: string): void {
  const at = locate(l, segs);
  const where = segs.length ? `${l.subject}: ${fieldPath(segs)}` : l.subject;
  problems.push({ shown: l.shown, line: at.line, col: at.col, check, text: `${where}: ${message}` });
}

function fieldPath(segs: Segment[]): string {
  let s = "";
  for (const seg of segs) s += typeof seg === "number" ? `[${seg}]` : s ? `.${seg}` : seg;
  return s;
}

/** Line and column (1-based) of the YAML node at segs: the key for a map entry, the item for a list element. */
function locate(l: Loaded, segs: Segment[]): { line: number; col: number } {
  let node: unknown = l.doc.contents;
  let offset = (node as { range?: number[] } | null)?.range?.[0] ?? 0;
  for (const seg of segs) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: number[] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number" && node.items[seg] != null) {
      node = node.items[seg];
      offset = (node as { range?: number[] }).range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return l.lines.linePos(offset);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

// ---------------------------------------------------------------- loading

function load(file: string, shown: string): Loaded[] {
  const text = fs.readFileSync(file, "utf8");
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, version: "1.1", uniqueKeys: true, prettyErrors: false });
  const result: Loaded[] = [];
  docs.forEach((doc, index) => {
    const bad = [...doc.errors, ...doc.warnings];
    for (const e of bad) {
      const lp = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      problems.push({ shown, line: lp.line, col: lp.col, check: "yaml", text: `document ${index + 1}: ${e.message.split("\n")[0]}` });
    }
    // a duplicate key is reported above and leaves a usable document (last value wins): keep checking it
    if (doc.errors.some((e) => e.code !== "DUPLICATE_KEY")) return;
    const data = doc.toJS({ maxAliasCount: 100 });
    if (data === null || data === undefined) return; // an empty document (e.g. after a trailing ---)
    const l: Loaded = { shown, index, doc, lines, data, subject: `document ${index + 1}` };
    if (isPlainObject(data)) {
      const kind = typeof data.kind === "string" ? data.kind : "?";
      const md = isPlainObject(data.metadata) ? data.metadata : {};
      const name = typeof md.name === "string" ? md.name : "?";
      l.subject = `${kind}/${name}`;
    }
    result.push(l);
  });
  return result;
}

// ---------------------------------------------------------------- schema (kubernetes-models)

interface ModelInfo {
  /** module of the classes, e.g. kubernetes-models/apps/v1 */
  module: string;
  /** TypeScript type of the typed literal, e.g. import("kubernetes-models/apps/v1/StatefulSet").IStatefulSet */
  typeName: string;
  kind: string;
}

function modelOf(l: Loaded): ModelInfo | null {
  const data = l.data;
  if (!isPlainObject(data)) {
    report(l, [], "schema", "a manifest must be a mapping");
    return null;
  }
  const { apiVersion, kind } = data;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    report(l, [], "schema", "apiVersion and kind must be set (strings)");
    return null;
  }
  const okApi = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion);
  const okKind = /^[A-Z][A-Za-z0-9]*$/.test(kind);
  if (!okApi || !okKind || !fs.existsSync(path.join(kmRoot, apiVersion, `${kind}.d.ts`))) {
    report(l, ["kind"], "schema", `unknown apiVersion/kind ${apiVersion} ${kind}: no Kubernetes schema for it in kubernetes-models`);
    return null;
  }
  return {
    module: `kubernetes-models/${apiVersion}`,
    typeName: `import("kubernetes-models/${apiVersion}/${kind}").I${kind}`,
    kind,
  };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

function valueAt(data: unknown, segs: Segment[]): unknown {
  let v: unknown = data;
  for (const s of segs) v = (v as Record<string | number, unknown> | undefined)?.[s];
  return v;
}

function schemaCheck(l: Loaded, m: ModelInfo): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(m.module) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[m.kind];
  if (typeof Model !== "function") {
    report(l, ["kind"], "schema", `kubernetes-models has no class ${m.kind} in ${m.module}`);
    return;
  }
  try {
    new Model(l.data).validate();
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw e;
    const seen = new Set<string>();
    for (const err of errors) {
      // JSON pointer → segments; a numeric segment is a list index only where the data holds a list
      const fixed: Segment[] = [];
      for (const raw of err.instancePath.split("/").slice(1)) {
        const s = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        fixed.push(Array.isArray(valueAt(l.data, fixed)) && /^\d+$/.test(s) ? Number(s) : s);
      }
      let message = err.message ?? err.keyword;
      if (err.keyword === "enum" && Array.isArray(err.params?.allowedValues))
        message += ` (${(err.params!.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})`;
      if (err.keyword === "type" || err.keyword === "enum" || err.keyword === "format")
        message += `, got ${JSON.stringify(valueAt(l.data, fixed))}`;
      const key = `${err.instancePath}|${message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      report(l, fixed, "schema", message);
    }
  }
}

// ---------------------------------------------------------------- strict (tsc --strict on typed literals)

interface Mark {
  owner: Loaded;
  segs: Segment[];
}

/** The generated TypeScript file, one line per YAML scalar/entry so a diagnostic maps back to a field. */
class Generated {
  readonly lines: string[] = [];
  readonly marks: (Mark | null)[] = [];

  raw(text: string): void {
    this.lines.push(text);
    this.marks.push(null);
  }

  value(v: unknown, owner: Loaded, segs: Segment[], indent: string, prefix: string, suffix: string): void {
    const push = (text: string) => {
      this.lines.push(indent + prefix + text);
      this.marks.push({ owner, segs });
    };
    if (Array.isArray(v)) {
      if (v.length === 0) return push("[]" + suffix);
      push("[");
      v.forEach((item, i) => this.value(item, owner, [...segs, i], indent + "  ", "", i < v.length - 1 ? "," : ""));
      this.lines.push(indent + "]" + suffix);
      this.marks.push({ owner, segs });
    } else if (isPlainObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0) return push("{}" + suffix);
      push("{");
      keys.forEach((k, i) => this.value(v[k], owner, [...segs, k], indent + "  ", JSON.stringify(k) + ": ", i < keys.length - 1 ? "," : ""));
      this.lines.push(indent + "}" + suffix);
      this.marks.push({ owner, segs });
    } else {
      push((v instanceof Date ? JSON.stringify(v.toISOString()) : v === undefined ? "undefined" : JSON.stringify(v)) + suffix);
    }
  }

  get text(): string {
    return this.lines.join("\n") + "\n";
  }
}

function strictCheck(gen: Generated): void {
  const virtual = path.join(toolDir, "src", "__manifests__.ts");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options, true);
  const source = ts.createSourceFile(virtual, gen.text, ts.ScriptTarget.ES2022, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (f, lang, onError, create) => (path.resolve(f) === virtual ? source : getSourceFile(f, lang, onError, create));
  host.fileExists = (f) => path.resolve(f) === virtual || fileExists(f);
  host.readFile = (f) => (path.resolve(f) === virtual ? gen.text : readFile(f));
  const program = ts.createProgram([virtual], options, host);
  const seen = new Set<string>();
  const once = (mark: Mark, message: string) => {
    const key = `${mark.owner.shown}|${mark.owner.index}|${fieldPath(mark.segs)}|${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    report(mark.owner, mark.segs, "strict", message);
  };
  excessProperties(program.getTypeChecker(), source, gen, once);
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ];
  for (const d of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ").replace(/\s+/g, " ");
    if (d.file && path.resolve(d.file.fileName) === virtual && d.start !== undefined) {
      const mark = gen.marks[d.file.getLineAndCharacterOfPosition(d.start).line];
      if (mark) {
        // excess properties: tsc reports only the first one per literal (and none where the literal
        // has other errors), so excessProperties() reports every one of them instead
        if (!EXCESS_PROPERTY_CODES.has(d.code)) once(mark, message);
        continue;
      }
    }
    const where = d.file ? `${d.file.fileName}:${d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0}` : "tsc";
    throw new ToolError(`TypeScript could not check the generated file: ${where}: ${message}`);
  }
}

class ToolError extends Error {}

/** "Object literal may only specify known properties, and 'x' does not exist in type 'T'" (+ "Did you mean"). */
const EXCESS_PROPERTY_CODES = new Set([2353, 2561]);

/**
 * Every property of every object literal in the generated file must be a property (or fall under an
 * index signature) of the literal's contextual type, i.e. the Kubernetes type at that position.
 */
function excessProperties(checker: ts.TypeChecker, source: ts.SourceFile, gen: Generated, once: (mark: Mark, message: string) => void): void {
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      const contextual = checker.getContextualType(node);
      const candidates = contextual ? (contextual.isUnion() ? contextual.types : [contextual]) : [];
      const objects = candidates.filter((t) => (t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) !== 0);
      // no object type expected here (a string, unknown, ...): tsc's own diagnostics report a mismatch
      if (objects.length && !objects.some((t) => checker.getIndexInfoOfType(t, ts.IndexKind.String))) {
        for (const prop of node.properties) {
          if (!ts.isPropertyAssignment(prop) || !ts.isStringLiteral(prop.name)) continue;
          const name = prop.name.text;
          if (objects.some((t) => checker.getPropertyOfType(t, name))) continue;
          const mark = gen.marks[source.getLineAndCharacterOfPosition(prop.getStart(source)).line];
          if (!mark) continue;
          const known = [...new Set(objects.flatMap((t) => checker.getPropertiesOfType(t).map((p) => p.name)))];
          const typeName = objects.map((t) => shortTypeName(checker.typeToString(t))).join(" | ");
          const near = closest(name, known);
          once(mark, `unknown field "${name}" (not a field of ${typeName})${near ? `; did you mean "${near}"?` : ""}`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

/** IIoK8sApiAppsV1StatefulSetSpec or IStatefulSetSpec → StatefulSetSpec, IIoK8sApimachineryPkgApisMetaV1ObjectMeta → ObjectMeta */
function shortTypeName(name: string): string {
  return name.replace(/^I?IoK8s(?:Api|ApimachineryPkgApis)(?:[A-Z][a-z0-9]*)*?V\d+(?:(?:Alpha|Beta|alpha|beta)\d+)?(?=[A-Z])/, "").replace(/^I(?=[A-Z])/, "");
}

function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = up;
    }
  }
  return row[b.length];
}

// ---------------------------------------------------------------- kustomization

function kustomizationChecks(k: Loaded, dir: string, shownDir: string, manifests: string[]): void {
  const data = k.data;
  if (!isPlainObject(data)) {
    report(k, [], "kustomization", "must be a mapping");
    return;
  }
  const isRemote = (r: string) => /^[a-z]+:\/\//i.test(r) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(r);
  const resources = Array.isArray(data.resources) ? data.resources : [];
  resources.forEach((r, i) => {
    if (typeof r !== "string" || isRemote(r)) return;
    if (!fs.existsSync(path.join(dir, r))) report(k, ["resources", i], "kustomization", `resource ${r} not found in ${shownDir}`);
  });
  const listed = new Set(resources.filter((r): r is string => typeof r === "string").map((r) => path.normalize(r)));
  for (const m of manifests) {
    if (!listed.has(m)) report(k, ["resources"], "kustomization", `${m} is not listed in resources: kubectl apply -k would skip it`);
  }
  for (const gen of ["configMapGenerator", "secretGenerator"] as const) {
    const list = Array.isArray(data[gen]) ? (data[gen] as unknown[]) : [];
    list.forEach((g, i) => {
      if (!isPlainObject(g)) return;
      if (typeof g.name !== "string" || !g.name) report(k, [gen, i], "kustomization", "a generator needs a name");
      for (const field of ["files", "envs"] as const) {
        const sources = Array.isArray(g[field]) ? (g[field] as unknown[]) : [];
        sources.forEach((s, j) => {
          if (typeof s !== "string") return;
          const file = field === "files" && s.includes("=") ? s.slice(s.indexOf("=") + 1) : s;
          if (!fs.existsSync(path.join(dir, file))) report(k, [gen, i, field, j], "kustomization", `${file} not found in ${shownDir}`);
          else if (path.relative(dir, path.resolve(dir, file)).startsWith(".."))
            report(k, [gen, i, field, j], "kustomization", `${file} is outside ${shownDir}: kustomize refuses files outside the kustomization root`);
        });
      }
    });
  }
}

// ---------------------------------------------------------------- main

function main(argv: string[]): number {
  if (argv.length !== 1) {
    console.error("usage: node dist/validate.js DIR");
    return 2;
  }
  const shownDir = argv[0].replace(/\/+$/, "") || "/";
  const dir = path.resolve(shownDir);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    console.error(`validate: ${shownDir} is not a directory`);
    return 2;
  }
  const names = fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  const kustomizationName = names.find((n) => /^kustomization\.ya?ml$/.test(n));
  const manifests = names.filter((n) => n !== kustomizationName);
  const shown = (n: string) => path.join(shownDir, n);

  const gen = new Generated();
  gen.raw(`import type { Kustomization } from "./kustomization";`);
  let documents = 0;
  for (const name of manifests) {
    const loaded = load(path.join(dir, name), shown(name));
    if (loaded.length === 0 && !problems.some((p) => p.shown === shown(name)))
      problems.push({ shown: shown(name), line: 1, col: 1, check: "yaml", text: "no Kubernetes object in this file" });
    for (const l of loaded) {
      documents++;
      const m = modelOf(l);
      if (!m) continue;
      schemaCheck(l, m);
      gen.raw(`// ${l.shown} document ${l.index + 1}: ${l.subject.replace(/[\r\n]/g, " ")}`);
      gen.value(l.data, l, [], "", `export const m${documents}: ${m.typeName} = `, ";");
    }
  }
  if (kustomizationName) {
    const [k] = load(path.join(dir, kustomizationName), shown(kustomizationName));
    if (k) {
      k.subject = "Kustomization";
      kustomizationChecks(k, dir, shownDir, manifests);
      gen.raw(`// ${k.shown}`);
      gen.value(k.data, k, [], "", "export const kustomization: Kustomization = ", ";");
    }
  } else {
    problems.push({ shown: shownDir, line: 0, col: 0, check: "kustomization", text: `no kustomization.yaml in ${shownDir} (the manifests are applied with kubectl apply -k)` });
  }
  if (manifests.length === 0)
    problems.push({ shown: shownDir, line: 0, col: 0, check: "schema", text: `no manifests (*.yaml) in ${shownDir}` });
  if (process.env.VALIDATE_DUMP_TS) fs.writeFileSync(process.env.VALIDATE_DUMP_TS, gen.text);
  strictCheck(gen);

  problems.sort((a, b) => a.shown.localeCompare(b.shown) || a.line - b.line || a.col - b.col);
  for (const p of problems) console.log(`${p.shown}:${p.line}:${p.col}: [${p.check}] ${p.text}`);
  const version = (JSON.parse(fs.readFileSync(path.join(kmRoot, "package.json"), "utf8")) as { version: string }).version;
  if (problems.length) {
    console.log(`validate: ${problems.length} problem(s) in ${shownDir}`);
    return 1;
  }
  console.log(
    `validate: OK ${shownDir}: ${manifests.length} manifest file(s), ${documents} document(s)` +
      `${kustomizationName ? ` + ${kustomizationName}` : ""}; schema (kubernetes-models ${version}) and tsc --strict (TypeScript ${ts.version}) checks passed`,
  );
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`validate: internal error: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
}
