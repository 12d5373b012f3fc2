package server

// Views handed to the partial templates; each carries the page's Base so
// partials can translate.

type countView struct {
	Base
	PetitionID int64
	Count      int64
	Rounded    bool  // Count is rounded down: "Count or more"
	FewerThan  int64 // when above 0, the count is shown only as "fewer than"
	Goal       int
}

// Goal64 is the goal as the Number formatter takes it.
func (v countView) Goal64() int64 { return int64(v.Goal) }

type signFormCtx struct {
	Base
	Form SignFormView
}

type fieldView struct {
	Base
	Name, Type, Autocomplete, Value string
	Label, Hint, Error, Describedby string
	Required                        bool
}

type figuresView struct {
	Base
	Petition  PetitionView
	MinPublic int
}

// MinPublic64 is the threshold as the Number formatter takes it.
func (v figuresView) MinPublic64() int64 { return int64(v.MinPublic) }

// AnyWithheld reports whether a country at or above the threshold is
// hidden to shield a smaller one, which the page then explains.
func (v figuresView) AnyWithheld() bool {
	for _, f := range v.Petition.Figures {
		if f.Withheld {
			return true
		}
	}
	return false
}

func countOf(b Base, v PetitionView) countView {
	return countView{Base: b, PetitionID: v.ID, Count: v.Count, Rounded: v.Total.Rounded, FewerThan: v.Total.FewerThan,
		Goal: v.Goal}
}

func signFormOf(b Base, f SignFormView) signFormCtx { return signFormCtx{Base: b, Form: f} }

// fieldOf builds a text input's view: label, hint and error ids wired for
// screen readers.
func fieldOf(ctx signFormCtx, name, typ, autocomplete string, required bool) fieldView {
	v := fieldView{Base: ctx.Base, Name: name, Type: typ, Autocomplete: autocomplete, Required: required,
		Label: ctx.T("form." + name), Error: ctx.Form.Errors[name]}
	switch name {
	case "name":
		v.Value = ctx.Form.Form.Name
	case "email":
		v.Value = ctx.Form.Form.Email
		v.Hint = ctx.T("form.email_hint")
	case "city":
		v.Value = ctx.Form.Form.City
	}
	if v.Hint != "" {
		v.Describedby = "f-" + name + "-hint"
	}
	if v.Error != "" {
		if v.Describedby != "" {
			v.Describedby += " "
		}
		v.Describedby += "f-" + name + "-error"
	}
	return v
}

func (s *Server) figuresOf(b Base, v PetitionView) figuresView {
	return figuresView{Base: b, Petition: v, MinPublic: s.MinPublicCount}
}
