// depends_on must form a graph without cycles (Compose refuses the project
// before touching the engine).
import { ComposeError, type Service } from './model.js';

export function checkCycles(services: Record<string, Service>): void {
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    const at = stack.indexOf(name);
    if (at >= 0)
      throw new ComposeError(`dependency cycle detected: ${[...stack.slice(at), name].join(' -> ')}`);
    if (done.has(name)) return;
    stack.push(name);
    for (const dep of Object.keys(services[name]?.depends_on ?? {})) if (dep in services) visit(dep);
    stack.pop();
    done.add(name);
  };
  for (const name of Object.keys(services)) visit(name);
}
