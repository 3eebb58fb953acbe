package photogen

import "strings"

// Document is a fictitious paper: its file-name stem and its lines of text
// (the first is the title; an empty line is a blank line). Every name,
// address and number is invented.
type Document struct {
	Name  string
	Lines []string
	// Options is how Samples photographs it.
	Options Options
}

// Truth is the page's text as a reader should find it, one line per line.
func (d Document) Truth() string { return strings.Join(d.Lines, "\n") + "\n" }

// Documents returns the sample papers, sorted by name, each with the
// conditions of its sample photo (a different seed, turn and light).
func Documents() []Document {
	return []Document{
		{Name: "droits", Lines: []string{
			"ATTESTATION DE DROITS A L'ASSURANCE MALADIE",
			"",
			"Beneficiaire : Pierre Lefebvre",
			"Numero de securite sociale : 1 74 03 59 350 021 16",
			"Organisme de rattachement : CPAM de Lille-Douai",
			"",
			"Vous beneficiez de la prise en charge de vos frais de",
			"sante au titre de l'assurance maladie du 01/01/2026 au",
			"31/12/2026, ainsi que de la complementaire sante",
			"solidaire sans participation financiere.",
			"",
			"Medecin traitant declare : Dr Sophie Vandamme",
			"Document a presenter a vos professionnels de sante.",
		}, Options: Options{Seed: 1, Angle: 3.5, Perspective: 0.05, Gradient: 0.25}},
		{Name: "rib", Lines: []string{
			"RELEVE D'IDENTITE BANCAIRE",
			"",
			"Titulaire du compte : Mme Aminata Kone",
			"14 allee des Peupliers, 69200 Venissieux",
			"",
			"Banque : Caisse Solidaire du Rhone",
			"Code banque 30004   Code guichet 01234",
			"Numero de compte 00012345678   Cle RIB 42",
			"",
			"IBAN : FR76 3000 4012 3400 0123 4567 842",
			"BIC : CSRHFRPPXXX",
			"",
			"Domiciliation : Agence Venissieux Centre",
		}, Options: Options{Seed: 2, Angle: -4, Perspective: 0.06, Gradient: 0.3}},
		{Name: "scolarite", Lines: []string{
			"CERTIFICAT DE SCOLARITE",
			"",
			"Je soussignee, Claire Morel, directrice de l'ecole",
			"elementaire Jean Jaures, certifie que l'eleve",
			"Yanis Belkacem, ne le 9 avril 2017,",
			"est inscrit dans mon etablissement en classe de CE2",
			"pour l'annee scolaire 2026-2027.",
			"",
			"Certificat delivre a la demande de la famille pour",
			"servir et valoir ce que de droit.",
			"",
			"A Roubaix, le 7 septembre 2026.",
			"La directrice",
		}, Options: Options{Seed: 3, Angle: 2, Perspective: 0.04, Gradient: 0.2}},
	}
}
