package distributer

// Validator returns the Validator given to Open with WithValidator, nil if
// none. Typed topics use it to avoid validating a body twice with the same
// schemas.
func (d *Distributer) Validator() Validator { return d.opts.validator }
