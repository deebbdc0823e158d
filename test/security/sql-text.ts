import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** A query whose SQL text could not be shown to be free of interpolated values. */
export interface SqlFinding {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly why: string;
}

// Quoting functions of pg (pg.escapeIdentifier, client.escapeLiteral): what DDL, which takes no bind
// parameters (CREATE ROLE … PASSWORD, GRANT … ON DATABASE), must use for names and literals.
const QUOTING = new Set(['escapeIdentifier', 'escapeLiteral']);
const QUERY_METHODS = new Set(['query']);
const MAX_DEPTH = 12;

/**
 * Finds the `.query(…)` calls of a TypeScript file whose SQL text is not provably made of constants:
 * string literals, constants, and names or literals quoted by pg's escapeIdentifier/escapeLiteral,
 * joined by templates, `+`, conditionals and functions of the same file that return such text. Values
 * must travel as bind parameters ($1, $2, …); anything else (a value interpolated into the text) is a
 * finding. Identifiers are followed within the file: const initializers, for-of loops, and the
 * arguments every caller passes to a parameter.
 */
export function findUnparameterizedSql(
  file: string,
  text = readFileSync(file, 'utf8'),
): { readonly queries: number; readonly findings: SqlFinding[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const findings: SqlFinding[] = [];
  let queries = 0;
  const declarations = collectDeclarations(source);

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isQueryCall(node)) {
      queries++;
      const [first] = node.arguments;
      if (first) {
        const sql = ts.isObjectLiteralExpression(first) ? textProperty(first) : first;
        const why = sql ? unsafe(sql, declarations, 0, new Set()) : 'a query config without a text property';
        if (why) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          findings.push({ file, line: line + 1, code: node.getText().split('\n')[0] ?? '', why });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { queries, findings };
}

function isQueryCall(call: ts.CallExpression): boolean {
  return ts.isPropertyAccessExpression(call.expression) && QUERY_METHODS.has(call.expression.name.text);
}

function textProperty(config: ts.ObjectLiteralExpression): ts.Expression | undefined {
  for (const property of config.properties) {
    if (ts.isPropertyAssignment(property) && property.name.getText() === 'text') return property.initializer;
  }
  return undefined;
}

interface Declarations {
  /** const/let name → its declaration (initializer, or the for-of it comes from). */
  readonly variables: Map<string, ts.VariableDeclaration[]>;
  /** function or arrow-function const name → the function. */
  readonly functions: Map<string, ts.FunctionLikeDeclaration>;
  /** Calls by callee name, to follow a parameter to the arguments its callers pass. */
  readonly calls: Map<string, ts.CallExpression[]>;
}

function collectDeclarations(source: ts.SourceFile): Declarations {
  const variables = new Map<string, ts.VariableDeclaration[]>();
  const functions = new Map<string, ts.FunctionLikeDeclaration>();
  const calls = new Map<string, ts.CallExpression[]>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) {
      const name = node.name.text;
      variables.set(name, [...(variables.get(name) ?? []), node]);
      if (
        node.initializer &&
        (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
      ) {
        functions.set(name, node.initializer);
      }
    }
    if (ts.isFunctionDeclaration(node) && node.name) functions.set(node.name.text, node);
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const name = node.expression.text;
      calls.set(name, [...(calls.get(name) ?? []), node]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { variables, functions, calls };
}

/** Why the expression may carry a value into SQL text, or undefined when it is made of constants. */
function unsafe(
  node: ts.Expression,
  declarations: Declarations,
  depth: number,
  seen: Set<ts.Node>,
): string | undefined {
  if (depth > MAX_DEPTH) return `too deep to follow: ${node.getText()}`;
  if (seen.has(node)) return undefined;
  seen.add(node);
  const next = (child: ts.Expression) => unsafe(child, declarations, depth + 1, seen);

  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isNumericLiteral(node)) {
    return undefined;
  }
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node)) {
    return next(node.expression);
  }
  if (ts.isTemplateExpression(node)) {
    for (const span of node.templateSpans) {
      const why = next(span.expression);
      if (why) return `\${${span.expression.getText()}} in a template: ${why}`;
    }
    return undefined;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    return next(node.left) ?? next(node.right);
  }
  if (ts.isConditionalExpression(node)) return next(node.whenTrue) ?? next(node.whenFalse);
  if (ts.isArrayLiteralExpression(node)) {
    for (const element of node.elements) {
      const why = next(ts.isSpreadElement(element) ? element.expression : element);
      if (why) return why;
    }
    return undefined;
  }
  if (ts.isCallExpression(node)) {
    const callee = node.expression;
    const name = ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : ts.isIdentifier(callee)
        ? callee.text
        : undefined;
    if (name && QUOTING.has(name)) return undefined;
    // [constants].join(constant)
    if (name === 'join' && ts.isPropertyAccessExpression(callee)) {
      return next(callee.expression) ?? node.arguments.map(next).find(Boolean);
    }
    const fn = name && ts.isIdentifier(callee) ? declarations.functions.get(name) : undefined;
    if (fn) return returnsUnsafe(fn, declarations, depth + 1, seen);
    return `the result of ${callee.getText()}(…), which is not a quoting function`;
  }
  if (ts.isIdentifier(node)) return identifierUnsafe(node, declarations, depth + 1, seen);
  return `${ts.SyntaxKind[node.kind]} ${node.getText()}`;
}

function returnsUnsafe(
  fn: ts.FunctionLikeDeclaration,
  declarations: Declarations,
  depth: number,
  seen: Set<ts.Node>,
): string | undefined {
  const body = fn.body;
  if (!body) return 'a function without a body';
  if (!ts.isBlock(body)) return unsafe(body, declarations, depth, seen);
  let why: string | undefined;
  const visit = (node: ts.Node): void => {
    if (why) return;
    if (ts.isReturnStatement(node)) {
      why = node.expression ? unsafe(node.expression, declarations, depth, seen) : undefined;
      return;
    }
    // Returns of nested functions are theirs, not this one's.
    if (ts.isFunctionLike(node)) return;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return why;
}

function identifierUnsafe(
  node: ts.Identifier,
  declarations: Declarations,
  depth: number,
  seen: Set<ts.Node>,
): string | undefined {
  const name = node.text;
  // A parameter of the enclosing function: every caller in the file must pass constants.
  for (let scope: ts.Node | undefined = node.parent; scope; scope = scope.parent) {
    if (!ts.isFunctionLike(scope)) continue;
    const index = scope.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === name);
    if (index < 0) continue;
    const fnName = functionName(scope);
    const calls = fnName ? (declarations.calls.get(fnName) ?? []) : [];
    if (calls.length === 0) return `parameter ${name}, whose callers are not in this file`;
    for (const call of calls) {
      const argument = call.arguments[index];
      const why = argument ? unsafe(argument, declarations, depth, seen) : `no argument for ${name}`;
      if (why) return `parameter ${name} of ${fnName}: ${why}`;
    }
    return undefined;
  }
  const candidates = declarations.variables.get(name) ?? [];
  if (candidates.length !== 1) {
    return candidates.length === 0 ? `${name}, declared elsewhere` : `${name}, declared more than once`;
  }
  const declaration = candidates[0] as ts.VariableDeclaration;
  const list = declaration.parent;
  const loop = list.parent;
  if (ts.isForOfStatement(loop)) return unsafe(loop.expression, declarations, depth, seen);
  if (!(list.flags & ts.NodeFlags.Const)) return `${name}, a variable that may be reassigned`;
  if (!declaration.initializer) return `${name}, which has no initializer`;
  return unsafe(declaration.initializer, declarations, depth, seen);
}

function functionName(fn: ts.SignatureDeclaration): string | undefined {
  if ((ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn)) && fn.name) return fn.name.text;
  const parent = fn.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return undefined;
}
