// Live restore at berthd start: the database says what was running, the
// runtime says what still is. Live containers are adopted (exit watch and
// health checks re-armed); exits that happened while berthd was down are
// recorded with the monitor's exit code and time, then restart policies and
// AutoRemove apply as if berthd had seen the exit.
import type { ContainerService } from './containers.js';
import type { HealthMonitor } from './containers-health.js';
import { nowNano } from './containers-model.js';

export async function restoreContainers(svc: ContainerService, health: HealthMonitor): Promise<void> {
  const { runtime, log } = svc.deps;
  for (const c of svc.store.all()) {
    try {
      if (c.state.Status === 'removing') {
        await svc.destroy(c);
        continue;
      }
      const wasLive = c.state.Running && !(c.state.Restarting && !c.state.Pid);
      if (wasLive) {
        const st = await runtime.state(c.id).catch(() => null);
        if (st && (st.status === 'running' || st.status === 'paused')) {
          const paused = st.status === 'paused';
          if (c.state.Paused !== paused) {
            Object.assign(c.state, { Paused: paused, Status: paused ? 'paused' : 'running' });
            svc.store.save(c);
          }
          svc.lifecycle.armExit(c);
          health.start(c, false);
          svc.logRotation.track(c);
          log.info('restored running container', { id: c.id });
          continue;
        }
        const exit = (await runtime.recordedExit(c.id).catch(() => null)) ?? {
          exitCode: 255,
          finishedAt: nowNano(),
          oomKilled: false,
        };
        await svc.lifecycle.locked(c.id, () => svc.lifecycle.onExit(c, exit));
        continue;
      }
      if (c.state.Restarting) {
        // berthd died during a restart back-off: carry on with it.
        svc.lifecycle.restartAfterDowntime(c);
        continue;
      }
      await svc.lifecycle.unmountRootfs(c);
      // `always` restarts even manually stopped containers when the daemon starts; `unless-stopped` only the others.
      const policy = c.hostConfig.RestartPolicy?.Name;
      if (c.hasBeenStarted && (policy === 'always' || (policy === 'unless-stopped' && !c.manuallyStopped)))
        await svc.lifecycle.start(c.id).catch((e) => log.warn('restart at daemon start failed', { id: c.id, err: String(e) }));
    } catch (e) {
      log.error('restoring container failed', { id: c.id, err: String(e) });
    }
  }
}
