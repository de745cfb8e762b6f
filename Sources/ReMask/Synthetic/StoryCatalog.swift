/// The stories problems are drawn from: shopping and saving, sharing, a bus route, a bakery, a garden,
/// recipes, and chains of ages, prices and daily distances where each quantity is defined from the last.
extension StoryTemplate {
    static let catalog: [StoryTemplate] = [
        collection, savings, bus, bakery, garden, recipe, ages, prices, daily,
    ]

    static let collection = StoryTemplate(
        opening: "{Name} has {x} {unit}.",
        question: "How many {unit} does {Name} have now?",
        steps: [
            StepTemplate(.add, "{He} buys {k} more {unit} at a fair.",
                         "{Name} buys {k} more, so {he} has {eq} {unit}."),
            StepTemplate(.add, "{His} friend {friend} gives {him} {k} {unit}.",
                         "{friend} gives {him} {k}, so {Name} has {eq} {unit}."),
            StepTemplate(.subtract, "{He} gives {k} {unit} to {friend}.",
                         "{Name} gives away {k}, so {he} has {eq} {unit} left."),
            StepTemplate(.subtract, "{He} loses {k} of them on the way home.",
                         "{Name} loses {k}, so {he} has {eq} {unit} left."),
            StepTemplate(.multiply, "After a lucky trade, {he} has {times} as many {unit} as before.",
                         "{Name} ends up with {times} as many, so {he} has {eq} {unit}."),
            StepTemplate(.divide, "{He} shares the {unit} equally among {k} children, {himself} included, and keeps {his} share.",
                         "Each of the {k} children gets the same number, so {Name} keeps {eq} {unit}."),
            StepTemplate(.divide, "{He} sorts them into {k} equal piles and keeps just one pile.",
                         "{Name} keeps one of {k} equal piles, so {he} has {eq} {unit}."),
        ],
        entities: .none,
        variants: ["stickers", "marbles", "stamps", "seashells", "trading cards", "candies", "pencils", "postcards"]
            .map { [("unit", $0)] },
        start: 12...120, amount: 3...60, limit: 999)

    static let savings = StoryTemplate(
        opening: "{Name} has saved {x} dollars.",
        question: "How many dollars does {Name} have now?",
        steps: [
            StepTemplate(.add, "{He} earns {k} dollars walking dogs.",
                         "{Name} earns {k} dollars, so {he} has {eq} dollars."),
            StepTemplate(.add, "{His} grandmother sends {him} {k} dollars for {his} birthday.",
                         "The birthday gift adds {k} dollars, so {Name} has {eq} dollars."),
            StepTemplate(.subtract, "{He} spends {k} dollars on {purchase}.",
                         "{Name} spends {k} dollars, so {he} has {eq} dollars left."),
            StepTemplate(.subtract, "{He} lends {k} dollars to {friend}.",
                         "Lending {k} dollars to {friend} leaves {Name} with {eq} dollars."),
            StepTemplate(.multiply, "By the end of the year, {his} savings have grown to {times} that amount.",
                         "The savings grow to {times} the amount, so {Name} has {eq} dollars."),
            StepTemplate(.divide, "{He} splits the money into {k} equal envelopes and gives all but one to charity.",
                         "{Name} keeps one of {k} equal envelopes, so {he} has {eq} dollars."),
        ],
        entities: .none,
        variants: ["a video game", "a pair of sneakers", "a board game", "concert tickets", "a new backpack",
                   "art supplies"].map { [("purchase", $0)] },
        start: 20...400, amount: 5...150, limit: 5000)

    static let bus = StoryTemplate(
        opening: "A bus leaves the depot with {x} passengers.",
        question: "How many passengers are on the bus now?",
        steps: [
            StepTemplate(.add, "At the next stop, {k} people get on.",
                         "After {k} people get on, there are {eq} passengers."),
            StepTemplate(.add, "A school group of {k} children gets on at the museum.",
                         "The school group adds {k}, so there are {eq} passengers."),
            StepTemplate(.subtract, "At the next stop, {k} people get off.",
                         "After {k} people get off, there are {eq} passengers."),
            StepTemplate(.subtract, "At the library, {k} students get off.",
                         "At the library {k} students get off, leaving {eq} passengers."),
            StepTemplate(.multiply, "At the stadium, the number of passengers {multiplies}.",
                         "The number of passengers {multiplies}, so there are {eq} passengers."),
            StepTemplate(.divide, "At the market, only {frac} of the passengers stay on the bus.",
                         "Only {frac} of them stay on, so there are {eq} passengers."),
        ],
        entities: .none, variants: [[]],
        start: 8...50, amount: 2...25, factors: 2...3, limit: 200)

    static let bakery = StoryTemplate(
        opening: "A bakery has {x} {unit} on its shelves in the morning.",
        question: "How many {unit} does the bakery have now?",
        steps: [
            StepTemplate(.add, "The bakers bring out {k} fresh {unit}.",
                         "The bakers add {k}, so there are {eq} {unit}."),
            StepTemplate(.add, "A second oven produces {k} more {unit}.",
                         "The second oven adds {k}, so there are {eq} {unit}."),
            StepTemplate(.subtract, "Customers buy {k} {unit} before noon.",
                         "Customers buy {k}, so {eq} {unit} are left."),
            StepTemplate(.subtract, "A café picks up an order of {k} {unit}.",
                         "The café takes {k}, so {eq} {unit} are left."),
            StepTemplate(.multiply, "For a festival, the bakers {multiply} the number of {unit}.",
                         "The bakers {multiply} the stock, so there are {eq} {unit}."),
            StepTemplate(.divide, "The {unit} are packed equally into {k} crates, and all but one crate go to a market stall.",
                         "One of {k} equal crates stays, so the bakery has {eq} {unit}."),
        ],
        entities: .none,
        variants: ["muffins", "bread rolls", "bagels", "croissants", "cookies", "pretzels"].map { [("unit", $0)] },
        start: 24...180, amount: 5...60, limit: 2000)

    static let garden = StoryTemplate(
        opening: "{Name} has {x} {unit} in {his} garden.",
        question: "How many {unit} are in {Name}'s garden now?",
        steps: [
            StepTemplate(.add, "{He} plants {k} more.",
                         "{Name} plants {k} more, so there are {eq} {unit}."),
            StepTemplate(.add, "{friend} gives {him} {k} more {unit}.",
                         "{friend} gives {him} {k} more, so there are {eq} {unit}."),
            StepTemplate(.subtract, "{He} gives {k} {unit} to {friend}.",
                         "{Name} gives away {k}, so {eq} {unit} are left."),
            StepTemplate(.subtract, "A storm ruins {k} of them.",
                         "The storm ruins {k}, so {eq} {unit} are left."),
            StepTemplate(.multiply, "By the next summer, {he} has {times} as many {unit}.",
                         "{Name} has {times} as many, so there are {eq} {unit}."),
            StepTemplate(.divide, "{He} divides the {unit} into {k} equal groups and moves all but one group to {friend}'s garden.",
                         "One of {k} equal groups stays, so there are {eq} {unit}."),
        ],
        entities: .none,
        variants: ["tomato plants", "rose bushes", "tulips", "pepper plants", "sunflowers"].map { [("unit", $0)] },
        start: 6...80, amount: 2...40, limit: 999)

    static let recipe = StoryTemplate(
        opening: "{Name}'s recipe for {dish} uses {x} grams of {ingredient}.",
        question: "How many grams of {ingredient} does {Name} use now?",
        steps: [
            StepTemplate(.add, "{He} adds {k} grams more to make it richer.",
                         "Adding {k} grams gives {eq} grams of {ingredient}."),
            StepTemplate(.add, "After tasting it, {he} adds another {k} grams.",
                         "Another {k} grams makes {eq} grams of {ingredient}."),
            StepTemplate(.subtract, "{He} spills {k} grams on the counter.",
                         "Spilling {k} grams leaves {eq} grams of {ingredient}."),
            StepTemplate(.subtract, "{He} leaves out {k} grams to make it lighter.",
                         "Leaving out {k} grams gives {eq} grams of {ingredient}."),
            StepTemplate(.multiply, "{He} then scales the recipe up to make {times} as much.",
                         "Scaling up by {k} gives {eq} grams of {ingredient}."),
            StepTemplate(.divide, "{He} then scales it down to {frac} of that amount.",
                         "Taking {frac} of the amount gives {eq} grams of {ingredient}."),
            StepTemplate(.multiply, "Cooking for a party, {he} multiplies every amount by {k}.",
                         "Multiplying by {k} gives {eq} grams of {ingredient}."),
            StepTemplate(.divide, "Cooking for fewer guests, {he} divides every amount by {k}.",
                         "Dividing by {k} gives {eq} grams of {ingredient}."),
        ],
        entities: .none,
        variants: [("bread", "flour"), ("pancakes", "flour"), ("cookies", "sugar"), ("tomato soup", "tomatoes"),
                   ("fried rice", "rice"), ("granola", "oats"), ("lemonade", "sugar")]
            .map { [("dish", $0.0), ("ingredient", $0.1)] },
        start: 40...400, amount: 10...120, limit: 5000)

    static let ages = StoryTemplate(
        opening: "{first} is {x} years old.",
        question: "How old is {last}?",
        steps: [
            StepTemplate(.add, "{next} is {k} years older than {prev}.",
                         "{next} is {k} years older than {prev}, so {next} is {eq} years old."),
            StepTemplate(.subtract, "{next} is {k} years younger than {prev}.",
                         "{next} is {k} years younger than {prev}, so {next} is {eq} years old."),
            StepTemplate(.multiply, "{next} is {times} as old as {prev}.",
                         "{next} is {times} as old as {prev}, so {next} is {eq} years old."),
            StepTemplate(.divide, "{next} is {frac} as old as {prev}.",
                         "{next} is {frac} as old as {prev}, so {next} is {eq} years old."),
        ],
        entities: .people, variants: [[]],
        start: 3...40, amount: 2...25, limit: 99)

    static let prices = StoryTemplate(
        opening: "A {first} costs {x} dollars.",
        question: "How many dollars does the {last} cost?",
        steps: [
            StepTemplate(.add, "A {next} costs {k} dollars more than the {prev}.",
                         "The {next} costs {k} dollars more than the {prev}, so it costs {eq} dollars."),
            StepTemplate(.subtract, "A {next} costs {k} dollars less than the {prev}.",
                         "The {next} costs {k} dollars less than the {prev}, so it costs {eq} dollars."),
            StepTemplate(.multiply, "A {next} costs {times} as much as the {prev}.",
                         "The {next} costs {times} as much as the {prev}, so it costs {eq} dollars."),
            StepTemplate(.divide, "A {next} costs {frac} as much as the {prev}.",
                         "The {next} costs {frac} as much as the {prev}, so it costs {eq} dollars."),
        ],
        entities: .items(["pencil case", "notebook", "backpack", "lamp", "chair", "desk", "bicycle", "helmet",
                          "jacket", "tent", "kettle", "toaster", "guitar", "watch", "suitcase", "camera"]),
        variants: [[]],
        start: 4...60, amount: 2...80, limit: 3000)

    static let daily = StoryTemplate(
        opening: "On {first}, {Name} {verb} {x} {unit}.",
        question: "How many {unit} does {Name} {verbBase} on {last}?",
        steps: [
            StepTemplate(.add, "On {next}, {he} {verb} {k} {unit} more than on {prev}.",
                         "On {next}, {he} {verb} {k} {unit} more, so {he} {verb} {eq} {unit}."),
            StepTemplate(.subtract, "On {next}, {he} {verb} {k} {fewer} than on {prev}.",
                         "On {next}, {he} {verb} {k} {fewer}, so {he} {verb} {eq} {unit}."),
            StepTemplate(.multiply, "On {next}, {he} {verb} {times} as {many} as on {prev}.",
                         "On {next}, {he} {verb} {times} as {many}, so {he} {verb} {eq} {unit}."),
            StepTemplate(.divide, "On {next}, {he} {verb} only {frac} as {many} as on {prev}.",
                         "On {next}, {he} {verb} {frac} as {many}, so {he} {verb} {eq} {unit}."),
        ],
        entities: .days,
        variants: [("cycles", "cycle", "km", "km less", "far"), ("walks", "walk", "km", "km less", "far"),
                   ("reads", "read", "pages", "fewer pages", "many pages"),
                   ("swims", "swim", "lengths", "fewer lengths", "many lengths"),
                   ("solves", "solve", "puzzles", "fewer puzzles", "many puzzles"),
                   ("bakes", "bake", "cookies", "fewer cookies", "many cookies")]
            .map { [("verb", $0.0), ("verbBase", $0.1), ("unit", $0.2), ("fewer", $0.3), ("many", $0.4)] },
        start: 4...60, amount: 2...30, limit: 999)
}
