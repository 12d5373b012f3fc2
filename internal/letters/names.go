package letters

// A country's name in a sentence needs its article and preposition, which
// differ by language and country: "in the United States", "aux
// États-Unis", "in den Vereinigten Staaten". Templates get the name three
// ways: .Name (bare), .TheName (with the article the language puts before
// it mid-sentence) and .InName ("in" + the name). Languages not listed get
// the bare name for all three.

// phrase is a country's name with its article, and with "in".
type phrase struct{ the, in string }

var phrases = map[string]map[string]phrase{
	"en": {
		"US": {"the United States", "in the United States"},
		"GB": {"the United Kingdom", "in the United Kingdom"},
		"EU": {"the European Union", "in the European Union"},
		"NL": {"the Netherlands", "in the Netherlands"},
	},
	"fr": {
		"US": {"les États-Unis", "aux États-Unis"}, "GB": {"le Royaume-Uni", "au Royaume-Uni"},
		"EU": {"l’Union européenne", "dans l’Union européenne"}, "CA": {"le Canada", "au Canada"},
		"AU": {"l’Australie", "en Australie"}, "NZ": {"la Nouvelle-Zélande", "en Nouvelle-Zélande"},
		"CH": {"la Suisse", "en Suisse"}, "NO": {"la Norvège", "en Norvège"}, "JP": {"le Japon", "au Japon"},
		"XK": {"le Kosovo", "au Kosovo"}, "AT": {"l’Autriche", "en Autriche"}, "BE": {"la Belgique", "en Belgique"},
		"BG": {"la Bulgarie", "en Bulgarie"}, "HR": {"la Croatie", "en Croatie"}, "CY": {"Chypre", "à Chypre"},
		"CZ": {"la Tchéquie", "en Tchéquie"}, "DK": {"le Danemark", "au Danemark"}, "EE": {"l’Estonie", "en Estonie"},
		"FI": {"la Finlande", "en Finlande"}, "FR": {"la France", "en France"}, "DE": {"l’Allemagne", "en Allemagne"},
		"GR": {"la Grèce", "en Grèce"}, "HU": {"la Hongrie", "en Hongrie"}, "IE": {"l’Irlande", "en Irlande"},
		"IT": {"l’Italie", "en Italie"}, "LV": {"la Lettonie", "en Lettonie"}, "LT": {"la Lituanie", "en Lituanie"},
		"LU": {"le Luxembourg", "au Luxembourg"}, "MT": {"Malte", "à Malte"}, "NL": {"les Pays-Bas", "aux Pays-Bas"},
		"PL": {"la Pologne", "en Pologne"}, "PT": {"le Portugal", "au Portugal"}, "RO": {"la Roumanie", "en Roumanie"},
		"SK": {"la Slovaquie", "en Slovaquie"}, "SI": {"la Slovénie", "en Slovénie"}, "ES": {"l’Espagne", "en Espagne"},
		"SE": {"la Suède", "en Suède"},
	},
	"de": {
		"US": {"die Vereinigten Staaten", "in den Vereinigten Staaten"},
		"GB": {"das Vereinigte Königreich", "im Vereinigten Königreich"},
		"EU": {"die Europäische Union", "in der Europäischen Union"},
		"CH": {"die Schweiz", "in der Schweiz"}, "XK": {"Kosovo", "im Kosovo"},
		"NL": {"die Niederlande", "in den Niederlanden"}, "SK": {"die Slowakei", "in der Slowakei"},
	},
}

// inWord is the preposition before a country without an entry above.
var inWord = map[string]string{"en": "in ", "fr": "en ", "de": "in "}

// countryPhrases returns code's name (already in lang) with its article and
// with "in".
func countryPhrases(code, name, lang string) (the, in string) {
	if p, ok := phrases[lang][code]; ok {
		return p.the, p.in
	}
	if w, ok := inWord[lang]; ok {
		return name, w + name
	}
	return name, name
}
