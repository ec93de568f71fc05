// Public surface of this part; each module adds its exports here.
export {};
