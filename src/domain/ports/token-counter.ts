/** Counts tokens the way the model's tokenizer does. */
export interface TokenCounter {
  count(text: string): number;
}
