/**
 * What a resource's service hands the direct-upload session when it reserves a row for a file
 * the client will send straight to the object store: the same checks and the same reservation
 * as its proxied upload, done before any byte moves.
 */
export interface DirectReservation {
  /** The pending file row the upload fills. */
  rowId: string;
  /** The dataset, model version or explanation the file belongs to. */
  artifactId: string;
  /** Owner of the reserved row; the session belongs to the same owner. */
  ownerId: string;
  /** Dataset files only: the dataset whose batch finalizes the file. */
  datasetId: string | null;
  objectKey: string;
  contentType: string;
  /** Removes the reservation when the session cannot be opened after all. */
  abandon(): Promise<void>;
}
