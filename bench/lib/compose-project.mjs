// The compose scenario's project: 10 busybox services on one shared network
// (a fixed subnet per engine, so the two engines never compete for one),
// a named volume mounted by several of them, and depends_on chains
// (s01 ← s02 ← s03 ← s04, s05 ← s06 ← s07, s08–s10 on both chain heads;
// --quick's 5 services keep the chain of 4 and s05).
// Written as plain YAML text: the Compose file format both docker-compose
// 1.29 and berth compose read.

// sh as PID 1 ignores SIGTERM unless it traps it; with the trap, `down -t 1`
// measures the engines' stop path, not the kill timeout.
const COMMAND = `["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]`;

/** service name → the services it depends on */
export function serviceGraph(n = 10) {
  const names = Array.from({ length: n }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
  const deps = {};
  names.forEach((name, i) => {
    if (i === 0 || i === 4) deps[name] = [];
    else if (i < 4) deps[name] = [names[i - 1]];
    else if (i < 7) deps[name] = [names[i - 1]];
    else deps[name] = [names[0], names[4]];
  });
  return deps;
}

/** The compose file's text; `subnet` is the shared network's (e.g. 10.126.3.0/24). */
export function composeFile({ subnet, services = 10 }) {
  const lines = ['services:'];
  Object.entries(serviceGraph(services)).forEach(([name, deps], i) => {
    lines.push(`  ${name}:`, '    image: busybox', `    command: ${COMMAND}`, '    networks: [shared]');
    if (i % 3 === 0) lines.push('    volumes: ["data:/data"]');
    if (deps.length) lines.push(`    depends_on: [${deps.join(', ')}]`);
  });
  lines.push(
    'networks:',
    '  shared:',
    '    ipam:',
    '      config:',
    `        - subnet: ${subnet}`,
    'volumes:',
    '  data: {}',
    '',
  );
  return lines.join('\n');
}
