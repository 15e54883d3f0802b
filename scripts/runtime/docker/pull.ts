import { ImageName, type ContainerRuntimeClient } from 'testcontainers';

export { imageTrouble, pullProblem, type ImageTrouble, type PullProblem } from './pull-problem.ts';

/**
 * The image is on the engine afterwards, or this throws with the engine's message. A stream
 * that ends without the image (some registries report errors inside the pull stream) counts as
 * a failure too.
 */
export async function ensureImage(client: ContainerRuntimeClient, image: string): Promise<void> {
  const name = ImageName.fromString(image);
  await client.image.pull(name);
  if (!(await client.image.exists(name))) throw new Error(`the pull of ${image} ended without the image`);
}
