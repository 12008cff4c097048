/** The README's Uppy block, which the Uppy browser test bundles into its page as this module. */
declare module 'readme-uppy' {
  import type Uppy from '@uppy/core';

  export const uppy: Uppy;
}
