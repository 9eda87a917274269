// A small InfluxQL query builder for the dashboards (issue 4 §4). The foundation SDK has no InfluxDB query builder, and
// dashboards must not scatter measurement, field and tag names as string literals: every name goes through a
// MeasurementSpec of src/metrics/schema.ts and is checked against it when the dashboards are generated, so renaming a
// field in the schema breaks `npm run grafana:generate` instead of leaving an empty panel behind.
//
// The output is raw InfluxQL with Grafana's macros left in place ($timeFilter, $__interval, $<variable>): Grafana (and the
// panel test) substitutes them. Identifiers are always double-quoted, string literals single-quoted, regexes /…/.
import type { MeasurementSpec } from "../../src/metrics/schema.ts";

export type Aggregate = "sum" | "mean" | "max" | "min" | "last" | "count" | "median";
export type TagOp = "=" | "!=" | "=~" | "!~";
export type Fill = "null" | "none" | "0" | "previous";

/** Grafana's default interval macro; the aggregation window (METRIC_WINDOW_S) is its lower bound in the panels. */
export const INTERVAL = "$__interval";
export const TIME_FILTER = "$timeFilter";

const ident = (name: string): string => `"${name.replace(/"/g, '\\"')}"`;
const literal = (value: string): string => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** `"tag" =~ /^$var$/`: the form Grafana expands for single, multi-value and "All" selections alike. */
export function varRegex(variable: string): string {
  return `/^$${variable}$/`;
}

interface Column {
  readonly expr: string;
  readonly name: string;
}

/** What a query reads from: a measurement (names checked against its spec) or a subquery (names = its output columns). */
type Source = { readonly spec: MeasurementSpec } | { readonly sub: InfluxQuery };

export class InfluxQuery {
  private readonly columns: Column[] = [];
  private readonly conditions: string[] = [];
  private timeGroup: string | undefined;
  private readonly tagGroups: string[] = [];
  private fillMode: Fill | undefined;
  private descending = false;
  private limitN: number | undefined;

  private constructor(private readonly source: Source) {}

  static from(spec: MeasurementSpec): InfluxQuery {
    return new InfluxQuery({ spec });
  }

  /** SELECT … FROM (inner): the outer query sees the inner's output columns and group-by tags. */
  static fromSubquery(inner: InfluxQuery): InfluxQuery {
    return new InfluxQuery({ sub: inner });
  }

  /** The measurement at the bottom of the query (for tag checks and documentation). */
  get spec(): MeasurementSpec {
    return "spec" in this.source ? this.source.spec : this.source.sub.spec;
  }

  /** Names this query's rows carry: output columns and group-by tags (what an enclosing query may select). */
  get outputNames(): readonly string[] {
    return [...this.columns.map((c) => c.name), ...this.tagGroups];
  }

  /** `fn("field") AS "as"`; `as` defaults to the field name so subqueries and legends keep the schema's names. */
  select(fn: Aggregate, field: string, as = field): this {
    this.checkField(field);
    this.columns.push({ expr: `${fn}(${ident(field)})`, name: as });
    return this;
  }

  /** A raw field or tag value per point (tables, annotations). */
  value(name: string, as?: string): this {
    if (!this.isField(name) && !this.isTag(name)) throw new Error(`${this.where_()}: no field or tag "${name}"`);
    this.columns.push({ expr: ident(name) + (as ? ` AS ${ident(as)}` : ""), name: as ?? name });
    return this;
  }

  /** top("field", "tag", n): the n largest values with the tag they belong to (top talkers). */
  top(field: string, tag: string, n: number, as = field): this {
    this.checkField(field);
    this.checkTag(tag);
    this.columns.push({ expr: `top(${ident(field)}, ${ident(tag)}, ${n})`, name: as });
    return this;
  }

  /** A condition on a tag; `=`/`!=` take a string, `=~`/`!~` a regex written /…/ (may hold $variables). */
  where(tag: string, op: TagOp, value: string): this {
    this.checkTag(tag);
    const rhs = op === "=~" || op === "!~" ? value : literal(value);
    if ((op === "=~" || op === "!~") && !/^\/.*\/$/.test(value)) throw new Error(`${this.where_()}: regex ${value} must be /…/`);
    this.conditions.push(`${ident(tag)} ${op} ${rhs}`);
    return this;
  }

  /** `"tag" =~ /^$variable$/` for a dashboard template variable. */
  whereVar(tag: string, variable: string): this {
    return this.where(tag, "=~", varRegex(variable));
  }

  /** A numeric condition on a field, e.g. writes > 0. */
  whereField(field: string, op: ">" | ">=" | "<" | "<=" | "=" | "!=", value: number): this {
    this.checkField(field);
    this.conditions.push(`${ident(field)} ${op} ${value}`);
    return this;
  }

  groupByTime(interval = INTERVAL): this {
    this.timeGroup = interval;
    return this;
  }

  groupBy(...tags: string[]): this {
    for (const t of tags) this.checkTag(t);
    this.tagGroups.push(...tags);
    return this;
  }

  fill(mode: Fill): this {
    this.fillMode = mode;
    return this;
  }

  newestFirst(): this {
    this.descending = true;
    return this;
  }

  limit(n: number): this {
    this.limitN = n;
    return this;
  }

  toString(): string {
    if (this.columns.length === 0) throw new Error(`${this.where_()}: nothing selected`);
    const from = "spec" in this.source ? ident(this.source.spec.name) : `(${this.source.sub.toString()})`;
    const parts = [`SELECT ${this.columns.map((c) => (c.expr.includes(" AS ") || c.expr === ident(c.name) ? c.expr : `${c.expr} AS ${ident(c.name)}`)).join(", ")}`];
    parts.push(`FROM ${from}`);
    parts.push(`WHERE ${[TIME_FILTER, ...this.conditions].join(" AND ")}`);
    const groups = [...(this.timeGroup ? [`time(${this.timeGroup})`] : []), ...this.tagGroups.map(ident)];
    if (groups.length > 0) parts.push(`GROUP BY ${groups.join(", ")}`);
    if (this.fillMode) parts.push(`fill(${this.fillMode})`);
    if (this.descending) parts.push("ORDER BY time DESC");
    if (this.limitN !== undefined) parts.push(`LIMIT ${this.limitN}`);
    return parts.join(" ");
  }

  private where_(): string {
    return `query on "${this.spec.name}"`;
  }

  private isField(name: string): boolean {
    return "spec" in this.source ? name in this.source.spec.fields : this.source.sub.outputNames.includes(name);
  }

  private isTag(name: string): boolean {
    // Tags pass through subqueries when the inner query groups by them; the schema still has to know them.
    return name in this.spec.tags && ("spec" in this.source || this.source.sub.outputNames.includes(name));
  }

  private checkField(name: string): void {
    if (!this.isField(name)) throw new Error(`${this.where_()}: no field "${name}" (src/metrics/schema.ts)`);
  }

  private checkTag(name: string): void {
    if (!this.isTag(name)) throw new Error(`${this.where_()}: no tag "${name}" (src/metrics/schema.ts)`);
  }
}

/** SHOW TAG VALUES for a template variable, optionally narrowed by earlier variables (chained variables). */
export function showTagValues(spec: MeasurementSpec, tag: string, narrowBy: readonly [tag: string, variable: string][] = []): string {
  for (const t of [tag, ...narrowBy.map(([t]) => t)]) {
    if (!(t in spec.tags)) throw new Error(`SHOW TAG VALUES on "${spec.name}": no tag "${t}" (src/metrics/schema.ts)`);
  }
  const where = narrowBy.map(([t, v]) => `${ident(t)} =~ ${varRegex(v)}`);
  return `SHOW TAG VALUES FROM ${ident(spec.name)} WITH KEY = ${ident(tag)}` + (where.length > 0 ? ` WHERE ${where.join(" AND ")}` : "");
}
