import type Docker from 'dockerode';

/** A container's state and health-check status, through a client already made (no dockerode import here). */
export async function containerHealth(docker: Docker, name: string): Promise<{ state: string; health?: string }> {
  const info = await docker.getContainer(name).inspect();
  return { state: info.State.Status, health: info.State.Health?.Status };
}
